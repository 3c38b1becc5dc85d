"""LeakyReLU layer: `x` if `x >= 0`, else `negative_slope * x` (layer default 0.3, as Keras)."""

import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.utils.arguments import rename_legacy_kwargs


@keras_export("layers.LeakyReLU")
class LeakyReLU(Layer):
    def __init__(self, negative_slope=0.3, **kwargs):
        rename_legacy_kwargs(kwargs, {"alpha": "negative_slope"}, "LeakyReLU()")
        negative_slope = kwargs.pop("negative_slope", negative_slope)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "LeakyReLU() expects `negative_slope` to be a non-negative number. "
                f"Received: negative_slope={negative_slope!r}"
            )
        self.negative_slope = float(negative_slope)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return F.leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}
