"""GaussianNoise: add zero-mean Gaussian noise of standard deviation `stddev` (training only)."""

import torch

from lamina.layers.layer import Layer
from lamina.layers.regularization.noise import check_fraction, normal_like
from lamina.registry.export import keras_export


@keras_export("layers.GaussianNoise")
class GaussianNoise(Layer):
    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = check_fraction(stddev, "stddev", "GaussianNoise()")
        self.seed = seed
        self._generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        return inputs + normal_like(inputs, self._generator) * self.stddev

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
