"""ELU layer: `x` if `x > 0`, else `alpha * (exp(x) - 1)`."""

import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export


@keras_export("layers.ELU")
class ELU(Layer):
    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise TypeError(f"ELU(): `alpha` must be a number. Received: alpha={alpha!r}")
        self.alpha = float(alpha)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return F.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        # Keras 3 leaves `alpha` out of the config (so a reloaded layer forgets it); keep it.
        return {**super().get_config(), "alpha": self.alpha}
