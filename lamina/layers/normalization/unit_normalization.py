"""UnitNormalization: scale each sample to unit L2 norm over `axis` (no weights)."""

import torch

from lamina.layers.layer import Layer
from lamina.layers.normalization import axes as axes_lib
from lamina.registry.export import keras_export

# Keras caps 1/norm at 1e12, so an all-zero vector stays zero instead of becoming NaN.
_MAX_INVERSE_NORM = 1e12


@keras_export("layers.UnitNormalization")
class UnitNormalization(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = list(axis)
        elif not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(
                "UnitNormalization() expects `axis` to be an int or a list/tuple of ints. "
                f"Received: axis={axis!r}"
            )
        self.axis = axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        x = axes_lib.at_least_float32(inputs)
        squares = x.square().sum(dim=self.axis, keepdim=True)
        outputs = x * torch.rsqrt(squares).clamp(max=_MAX_INVERSE_NORM)
        return outputs.to(inputs.dtype) if outputs.dtype != inputs.dtype else outputs

    def compute_output_shape(self, input_shape):
        return axes_lib.check_output_axes(self, input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
