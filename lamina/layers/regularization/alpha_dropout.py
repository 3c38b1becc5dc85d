"""AlphaDropout: dropout for SELU networks (training only).

Dropped units are set to SELU's negative saturation value `-scale * alpha` instead of 0, and an
affine correction `a * x + b` restores the input's mean and variance, so self-normalisation
survives (Klambauer et al., 2017).
"""

import torch

from lamina.layers.layer import Layer
from lamina.layers.regularization.noise import check_fraction, uniform_like
from lamina.registry.export import keras_export

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@keras_export("layers.AlphaDropout")
class AlphaDropout(Layer):
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_fraction(rate, "rate", "AlphaDropout()")
        self.noise_shape = None if noise_shape is None else list(noise_shape)
        self.seed = seed
        self._generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        rate = self.rate
        saturation = -_SELU_ALPHA * _SELU_SCALE
        shape = inputs.shape if self.noise_shape is None else [
            inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape)
        ]
        kept = (uniform_like(inputs, self._generator, shape) >= rate).to(inputs.dtype)
        a = ((1 - rate) * (1 + rate * saturation ** 2)) ** -0.5
        b = -a * saturation * rate
        x = inputs * kept + saturation * (1 - kept)
        return a * x + b

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}
