"""Dropout: zero a fraction `rate` of inputs during training, scale the rest by 1 / (1 - rate)."""

import torch
import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.utils.arguments import check_integer, rename_legacy_kwargs


@keras_export("layers.Dropout")
class Dropout(Layer):
    def __init__(self, rate=None, noise_shape=None, seed=None, **kwargs):
        rename_legacy_kwargs(kwargs, {"p": "rate"}, "Dropout()")
        rate = kwargs.pop("rate", rate)
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise ValueError(
                f"Invalid value received for argument `rate`. Expected a float value between 0 "
                f"and 1. Received: rate={rate!r}"
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        check_integer(seed, "seed", f"{type(self).__name__}()", minimum=-2**63, optional=True)
        self.seed = seed
        self._generator = None
        if seed is not None:
            self._generator = torch.Generator().manual_seed(int(seed))
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return torch.zeros_like(inputs)
        if self.noise_shape is None and self._generator is None:
            return F.dropout(inputs, self.rate, True)
        return inputs * self._mask(inputs) / (1 - self.rate)

    def _mask(self, inputs):
        shape = inputs.shape if self.noise_shape is None else [
            inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape)
        ]
        if self._generator is not None and inputs.device.type == "cpu":
            keep = torch.rand(shape, generator=self._generator, dtype=inputs.dtype)
        else:
            keep = torch.rand(shape, device=inputs.device, dtype=inputs.dtype)
        return (keep >= self.rate).to(inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}
