"""GaussianDropout: multiply by Gaussian noise of mean 1 and standard deviation
`sqrt(rate / (1 - rate))` (training only) — the variance of Dropout(rate) without zeros."""

import math

import torch

from lamina.layers.layer import Layer
from lamina.layers.regularization.noise import check_fraction, normal_like
from lamina.registry.export import keras_export


@keras_export("layers.GaussianDropout")
class GaussianDropout(Layer):
    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_fraction(rate, "rate", "GaussianDropout()")
        self.seed = seed
        self._generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * (normal_like(inputs, self._generator) * stddev + 1.0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
