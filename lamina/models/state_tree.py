"""`Model.get_state_tree` / `set_state_tree`: all of a model's state as nested dicts.

The tree has four branches, "trainable_variables", "non_trainable_variables",
"optimizer_variables" and "metrics_variables"; each nests its variables by path
("my_model/dense/kernel" -> {"my_model": {"dense": {"kernel": value}}}).
"""

import numpy as np
import torch

_VALUE_FORMATS = ("backend_tensor", "numpy_array")


class StateTreeMixin:
    def _state_branches(self):
        """(branch name, [(path, tensor)]) for each branch of the tree."""
        optimizer = getattr(self, "optimizer", None)
        optimizer_vars = []
        if optimizer is not None and hasattr(optimizer, "variables"):
            optimizer_vars = list(zip(optimizer.variable_names, optimizer.variables))
        metric_vars = []
        for metric in getattr(self, "metrics", None) or []:
            for variable in metric.variables:
                path = getattr(variable, "path", None) or getattr(variable, "name", "variable")
                if not path.startswith(metric.name + "/"):
                    path = f"{metric.name}/{path}"
                metric_vars.append((path, variable))
        return {
            "trainable_variables": [(v.path, v) for v in self.trainable_variables],
            "non_trainable_variables": [(v.path, v) for v in self.non_trainable_variables],
            "optimizer_variables": optimizer_vars,
            "metrics_variables": metric_vars,
        }

    def get_state_tree(self, value_format="backend_tensor"):
        """The model's variables as nested dicts of torch tensors ("backend_tensor", copies)
        or numpy arrays ("numpy_array")."""
        if value_format not in _VALUE_FORMATS:
            raise ValueError(
                f"Invalid `value_format` argument. Expected one of {set(_VALUE_FORMATS)}. "
                f"Received: value_format={value_format}"
            )
        tree = {}
        for branch, pairs in self._state_branches().items():
            nested, seen = {}, set()
            for path, variable in pairs:
                if path in seen:
                    raise ValueError(
                        f"The variable path '{path}' is found twice in the model: "
                        "get_state_tree() needs unique paths (give your layers unique names)."
                    )
                seen.add(path)
                value = variable.detach().clone()
                if value_format == "numpy_array":
                    value = value.cpu().numpy()
                node = nested
                *parents, leaf = path.split("/")
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = value
            tree[branch] = nested
        return tree

    def set_state_tree(self, state_tree):
        """Assign the values of a `get_state_tree()`-shaped dict (any subset of it)."""
        branches = self._state_branches()
        for branch, nested in state_tree.items():
            if branch not in branches:
                raise ValueError(
                    f"Unknown variable name: {branch}. Expected keys among {sorted(branches)}."
                )
            variables = dict(branches[branch])
            for path, value in _flatten(nested):
                variable = variables.get(path)
                if variable is None:
                    continue  # as Keras: paths the model does not have are ignored
                value = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor)
                                        else value)
                if tuple(value.shape) != tuple(variable.shape):
                    raise ValueError(
                        f"Cannot assign a value of shape {tuple(value.shape)} to the variable "
                        f"'{path}' of shape {tuple(variable.shape)}."
                    )
                with torch.no_grad():
                    variable.copy_(value.to(device=variable.device, dtype=variable.dtype))


def _flatten(nested, prefix=""):
    for key, value in nested.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}/")
        else:
            yield f"{prefix}{key}", value
