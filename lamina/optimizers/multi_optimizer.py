"""Different optimizers for different variables: `MultiOptimizer` and its `OptimizerMap`."""

import collections.abc
import re

import torch

from lamina import stateless
from lamina.optimizers import loss_scale_optimizer
from lamina.optimizers import optimizer
from lamina.optimizers import slot_values
from lamina.optimizers import stateless_apply
from lamina.registry import serialization
from lamina.registry.export import keras_export


@keras_export("optimizers.OptimizerMap")
class OptimizerMap(collections.abc.MutableMapping):
    """Variable paths (or regular expressions over them) -> optimizers, with a default.

    `optimizer_map["encoder/.*"] = Adam()` routes every variable whose path matches the whole
    pattern (`re.fullmatch`) to that Adam; a key that equals the path exactly wins over the
    patterns, a path that matches two patterns is an error, and a path that matches nothing
    (or a variable without a path) gets `default_optimizer`. Calling the map on a variable
    looks up its path, which is what `MultiOptimizer` does.

    Args:
        default_optimizer: The optimizer of the variables no key matches.
        optimizer_map: Optional dict of initial entries `{path or pattern: optimizer}`.
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, optimizer.Optimizer):
            raise TypeError(
                "OptimizerMap: `default_optimizer` must be an optimizer instance. "
                f"Received: default_optimizer={default_optimizer!r}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                "OptimizerMap: `optimizer_map` must be a dict {path or pattern: optimizer}. "
                f"Received: optimizer_map={optimizer_map!r}"
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, value in (optimizer_map or {}).items():
            self[key] = value

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Multiple optimizers assigned to variable '{key}': it matches the patterns "
                f"{matches}. Make the patterns exclusive, or add the exact path as a key."
            )
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise ValueError(
                f"OptimizerMap keys must be strings (paths or patterns). Received: {key!r}"
            )
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' is already in the OptimizerMap (mapped to "
                f"{self._optimizer_map[key].name}); each key may be set once."
            )
        _check_inner_optimizer(value)
        self._optimizer_map[key] = value

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        path = slot_values.variable_path(variable)
        return self._default_optimizer if path is None else self[path]

    def get_config(self):
        return {
            "default_optimizer": serialization.serialize_keras_object(self._default_optimizer),
            "optimizer_map": serialization.serialize_keras_object(self._optimizer_map),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        default = _deserialize(config["default_optimizer"], custom_objects)
        entries = {key: _deserialize(value, custom_objects)
                   for key, value in (config.get("optimizer_map") or {}).items()}
        return cls(default, entries)


@keras_export("optimizers.MultiOptimizer")
class MultiOptimizer(optimizer.Optimizer):
    """Hands each variable to its own optimizer.

    `optimizer_map` is an `OptimizerMap` or any callable `variable -> optimizer`. When the
    optimizer is built, every variable is routed once; each step then passes each inner
    optimizer the gradients of its variables. The inner optimizers keep their own learning
    rates, slots and `iterations`, so a MultiOptimizer has no `learning_rate` (reading or
    setting it raises `AttributeError`: use `optimizers`); its `iterations` counts its own
    steps. `variables` lists its own (iteration, learning rate), then each inner optimizer's,
    in the order the optimizers were first used.

    ```python
    optimizer = keras.optimizers.MultiOptimizer(keras.optimizers.OptimizerMap(
        keras.optimizers.SGD(0.01), {"encoder/.*": keras.optimizers.Adam(1e-3)}))
    model.compile(optimizer=optimizer, loss="mse")
    ```

    Args:
        optimizer_map: An `OptimizerMap`, or a callable that returns the optimizer of a
            variable. A MultiOptimizer or LossScaleOptimizer cannot be an inner optimizer (wrap
            the whole MultiOptimizer in a LossScaleOptimizer instead).
        loss_scale_factor: Set on every inner optimizer (replacing theirs).
        name: Name of the optimizer.
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        if not callable(optimizer_map):
            raise TypeError(
                "MultiOptimizer: `optimizer_map` must be an OptimizerMap or a callable that "
                f"returns an optimizer for a variable. Received: {optimizer_map!r}"
            )
        self._inner_optimizers = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        known = list(optimizer_map.values()) if isinstance(optimizer_map, OptimizerMap) else []
        default = getattr(optimizer_map, "default_optimizer", None)
        for inner in known + ([default] if default is not None else []):
            self._adopt(inner)

    def _adopt(self, inner):
        """The index of `inner` among the optimizers, adding it (with our loss scale) if new."""
        for index, known in enumerate(self._inner_optimizers):
            if known is inner:
                return index
        inner.loss_scale_factor = self.loss_scale_factor
        self._inner_optimizers.append(inner)
        return len(self._inner_optimizers) - 1

    @property
    def optimizers(self):
        """The inner optimizers."""
        return list(self._inner_optimizers)

    @property
    def loss_scale_factor(self):
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for inner in self._inner_optimizers:
            inner.loss_scale_factor = value

    @property
    def learning_rate(self):
        raise AttributeError(
            f"MultiOptimizer '{self.name}' has no single learning rate: read it on the inner "
            "optimizers, `[o.learning_rate for o in optimizer.optimizers]`."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            f"MultiOptimizer '{self.name}' has no single learning rate: set it on the inner "
            "optimizers, e.g. `optimizer.optimizers[0].learning_rate = 0.01`."
        )

    def build(self, variables):
        if self.built:
            return
        variables = list(variables)
        self._optimizer_indices = []
        routed = collections.defaultdict(list)
        for variable in variables:
            inner = self._optimizer_map(variable)
            _check_inner_optimizer(inner, variable)
            index = self._adopt(inner)
            self._optimizer_indices.append(index)
            routed[index].append(variable)
        for index, inner in enumerate(self._inner_optimizers):
            if routed[index]:
                inner.build(routed[index])
        super().build(variables)

    @property
    def variables(self):
        own = super().variables
        return own + [v for inner in self._inner_optimizers for v in inner.variables]

    @property
    def variable_names(self):
        own = super().variable_names
        return own + [n for inner in self._inner_optimizers for n in inner.variable_names]

    @torch.no_grad()
    def apply(self, grads, trainable_variables=None):
        if stateless.in_stateless_scope():  # the new values go into the scope (as Keras)
            return stateless_apply.apply_in_scope(self, grads, trainable_variables)
        grads = list(grads)
        if not grads:
            return
        indices = self._indices_of(grads, trainable_variables)
        if len(grads) != len(self._trainable_variables):
            raise ValueError(
                f"MultiOptimizer '{self.name}' received {len(grads)} gradients but was built "
                f"with {len(self._trainable_variables)} variables; pass one gradient per "
                "variable (None for none)."
            )
        routed = collections.defaultdict(lambda: ([], []))
        for grad, index in zip(grads, indices):
            inner_grads, inner_variables = routed[self._optimizer_indices[index]]
            inner_grads.append(grad)
            inner_variables.append(self._trainable_variables[index])
        for index, inner in enumerate(self._inner_optimizers):
            if index in routed:
                inner.apply(*routed[index])
        self._advance_iterations()

    def _saveable_attributes(self):
        # Keras's weight files also hold each inner optimizer's variables in a group of its own,
        # `optimizer/optimizers/adam/vars` (named by class), besides the full `optimizer/vars`.
        return {"optimizers": self.optimizers}

    def finalize_variable_values(self, var_list):
        if not self.built:
            return
        routed = collections.defaultdict(list)
        for variable in var_list:
            routed[self._optimizer_indices[self._get_variable_index(variable)]].append(variable)
        for index, inner in enumerate(self._inner_optimizers):
            if routed[index]:
                inner.finalize_variable_values(routed[index])

    def get_config(self):
        return {
            "optimizer_map": serialization.serialize_keras_object(self._optimizer_map),
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["optimizer_map"] = _deserialize(config["optimizer_map"], custom_objects)
        return cls(**config)


def _check_inner_optimizer(inner, variable=None):
    where = "" if variable is None else (
        f" (for variable '{slot_values.variable_path(variable) or tuple(variable.shape)}')")
    if not isinstance(inner, optimizer.Optimizer):
        raise ValueError(f"MultiOptimizer needs optimizer instances{where}. Received: {inner!r}")
    if isinstance(inner, (MultiOptimizer, loss_scale_optimizer.LossScaleOptimizer)):
        raise ValueError(
            f"A {type(inner).__name__} cannot be used inside a MultiOptimizer{where}. Wrap the "
            "MultiOptimizer in a LossScaleOptimizer instead of the other way round."
        )


def _deserialize(config, custom_objects):
    return serialization.deserialize_keras_object(
        config, package="optimizers", custom_objects=custom_objects, what="optimizer"
    )
