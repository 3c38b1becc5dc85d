"""OpLayer: one op (`x + y`, `ops.concatenate(...)`) applied to symbolic tensors in a graph.

Stored the way Keras 3 stores its operations, so functional models using ops cross between lamina
and Keras: the op's class name (`Add`, `Concatenate`, `GetItem`, ...), its module
(`keras.src.ops.numpy` / `.nn` / `.core`), its fixed parameters in the config (`axis`,
`keepdims`), and the tensors (plus scalars standing in for tensors, as in `x * 2.0`) as the
node's arguments.
"""

import inspect
import re

import numpy as np
import torch

from lamina.symbolic.keras_tensor import KerasTensor
from lamina.layers.layer import Layer
from lamina.utils import naming, tree

# Parameters that take tensors: they stay in the node (Keras: the op's call arguments).
_TENSOR_PARAMETERS = {"x", "x1", "x2", "xs", "inputs", "condition", "y", "key", "a", "b"}


class OpLayer(Layer):
    def __init__(self, function, static_kwargs=None, name=None, **kwargs):
        op_name = getattr(function, "__name__", "op").strip("_")
        super().__init__(name=name or naming.unique_name(op_name), **kwargs)
        self.function = function
        self.static_kwargs = dict(static_kwargs or {})
        self.built = True
        self._call_order = _positional_order(function, self.static_kwargs)

    def call(self, *args, **kwargs):
        if self._call_order is None:
            return self.function(*args, **self.static_kwargs, **kwargs)
        # A fixed argument before the tensors (`einsum(subscripts, *operands)`,
        # `searchsorted(sorted_sequence, values)` with a constant sequence): put it back in
        # its place among the positional arguments.
        positional, keywords, remaining = [], dict(self.static_kwargs), list(args)
        for kind, name in self._call_order:
            if kind == "fixed":
                positional.append(keywords.pop(name))
            elif not remaining:
                break
            elif kind == "tensor":
                positional.append(remaining.pop(0))
            else:  # *args: every tensor left
                positional.extend(remaining)
                remaining = []
        return self.function(*positional, *remaining, **keywords, **kwargs)

    def get_config(self):
        # Keras's layout (the op's name and fixed arguments); the op itself rides along outside
        # the dict's items, so `type(layer).from_config(layer.get_config())` (clone_model and
        # Keras-style clone functions) rebuilds it, while a saved file holds only the items.
        return _OpConfig({"name": self.name, **self.static_kwargs}, self.function)

    @classmethod
    def from_config(cls, config):
        function = getattr(config, "op_function", None)
        if function is None:
            raise ValueError(
                "OpLayer.from_config() needs the config returned by an OpLayer's get_config() "
                f"(which carries its op); received a plain dict {dict(config)!r}. To rebuild an "
                "op from a saved Keras config, use OpLayer.from_op_config(class_name, config)."
            )
        config = dict(config)
        return cls(function, config, name=config.pop("name", None))

    @classmethod
    def from_op_config(cls, class_name, config):
        function = op_function(class_name)
        config = dict(config)
        name = config.pop("name", None)
        config.pop("trainable", None)
        if "dtype" in config:
            config["dtype"] = _op_dtype(function, config["dtype"])
            if config["dtype"] is None:
                del config["dtype"]
        return cls(function, config, name=name)


def _positional_order(function, static):
    """None when the fixed arguments can go by keyword after the tensors (most ops: `axis`
    comes after `x`). Else, when a fixed parameter comes before a tensor one or `*args`, the
    positional parameters in order: ("fixed", name), ("tensor", name), or ("rest", name) for
    `*args`."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    order = []
    for parameter in parameters:
        if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY,
                              inspect.Parameter.POSITIONAL_OR_KEYWORD):
            order.append(("fixed" if parameter.name in static else "tensor", parameter.name))
        elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            order.append(("rest", parameter.name))
            break
    kinds = [kind for kind, _ in order]
    if "fixed" not in kinds or all(kind == "fixed" for kind in kinds):
        return None
    if all(kind == "fixed" for kind in kinds[kinds.index("fixed"):]):
        return None  # tensors first, then the fixed ones: keywords are fine
    return order


class _OpConfig(dict):
    """An OpLayer's config: its saved items, plus the op function for an in-memory rebuild."""

    def __init__(self, items, op_function):
        super().__init__(items)
        self.op_function = op_function


def _op_dtype(function, value):
    """A `dtype` entry of a Keras operation's config is the op's own argument (`Cast(dtype=
    "float16")`): kept for ops that take one (a dtype policy dict becomes its name, as Keras
    reads it), dropped for ops that do not."""
    if "dtype" not in inspect.signature(function).parameters:
        return None
    if isinstance(value, dict):
        return value.get("config", {}).get("name")
    return value


def apply_op(function, args, kwargs):
    """Record `function(*args, **kwargs)` on symbolic tensors as an OpLayer node."""
    # (straight to the symbolic call: the first argument may be a constant tensor, as in
    # `ops.ones((3,)) + x`, where a layer's call would take the inputs for real ones)
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return OpLayer(function)._symbolic_call(args, kwargs)
    node_args, static = [], {}
    parameters = inspect.signature(function).parameters
    for name, value in bound.arguments.items():
        kind = parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            node_args.extend(value)
        elif kind is inspect.Parameter.VAR_KEYWORD:
            static.update(value)
        elif name in _TENSOR_PARAMETERS or _holds_symbolic(value) or \
                isinstance(value, (torch.Tensor, np.ndarray)):
            node_args.append(value)  # (a constant tensor is an operand too, as in Keras)
        else:
            static[name] = value
    return OpLayer(function, static)._symbolic_call(tuple(node_args), {})


def _holds_symbolic(value):
    return any(isinstance(v, KerasTensor) for v in tree.flatten(value))


def serialized_op(layer):
    """Keras 3's module and class name for an OpLayer's function."""
    from lamina.layers.core.keras_op_names import KERAS_OP_NAMES

    function = layer.function
    known = KERAS_OP_NAMES.get(function.__name__)
    if known is not None:  # (Keras's own spelling: `SearchSorted`, `FFT`, ops in another module)
        return f"keras.src.ops.{known[0]}", known[1]
    module = getattr(function, "__module__", "") or ""
    family = module.rsplit(".", 1)[-1] if module.startswith("lamina.ops.") else "numpy"
    class_name = "".join(part.capitalize() for part in function.__name__.strip("_").split("_"))
    return f"keras.src.ops.{family}", class_name


def op_function(class_name):
    """The lamina op for a Keras operation class name (`TrueDivide` -> ops.true_divide)."""
    from lamina import ops

    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    function = getattr(ops, snake, None) or getattr(ops, class_name.lower(), None)
    if function is None:
        raise ValueError(
            f"The model uses the Keras operation '{class_name}', which lamina.ops does not have. "
            "Replace it with a layer, or open an issue naming the operation."
        )
    return function

