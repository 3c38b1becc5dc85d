"""Reshape: give each sample a new shape (the batch axis is kept); one dimension may be -1."""

import math

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.utils.arguments import rename_legacy_kwargs


@keras_export("layers.Reshape")
class Reshape(Layer):
    def __init__(self, target_shape=None, **kwargs):
        rename_legacy_kwargs(kwargs, {"dims": "target_shape"}, "Reshape()")
        target_shape = kwargs.pop("target_shape", target_shape)
        super().__init__(**kwargs)
        if target_shape is None:
            raise ValueError("Reshape() needs `target_shape`, e.g. Reshape((28, 28, 1)).")
        if isinstance(target_shape, int):
            target_shape = (target_shape,)
        if isinstance(target_shape, str) or not isinstance(target_shape, (tuple, list)) or any(
                isinstance(d, bool) or not isinstance(d, int) for d in target_shape):
            raise ValueError("Reshape(): `target_shape` must be a tuple of integers (the batch "
                             f"axis left out; -1 once at most). Received: target_shape="
                             f"{target_shape!r}")
        self.target_shape = tuple(int(d) for d in target_shape)
        if any(d == 0 or d < -1 for d in self.target_shape):
            raise ValueError("Reshape(): every size in `target_shape` must be a positive integer "
                             f"(or -1, once, for 'whatever is left'). Received: target_shape="
                             f"{self.target_shape!r}")
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(
                f"Reshape target_shape can contain at most one -1; got {self.target_shape}."
            )
        self.built = True

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self._resolve(inputs.shape[1:]))

    def _resolve(self, input_dims):
        total = math.prod(input_dims)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if known == 0 or total % known:
                raise ValueError(self._mismatch(input_dims))
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if known != total:
            raise ValueError(self._mismatch(input_dims))
        return self.target_shape

    def _mismatch(self, input_dims):
        return (
            f'Layer "{self.name}" cannot reshape an input of shape (batch, '
            f"{', '.join(map(str, input_dims))}) ({math.prod(input_dims)} values per sample) "
            f"to {self.target_shape}."
        )

    def compute_output_shape(self, input_shape):
        dims = input_shape[1:]
        if any(d is None for d in dims):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._resolve(dims)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
