"""Masking: mark timesteps to skip. A step whose features all equal `mask_value` is masked out:
its output is zeroed and the output mask (`any(inputs != mask_value, axis=-1)`) is False there,
so mask-aware layers downstream (RNNs, merges, Softmax...) ignore it."""

import torch

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export


@keras_export("layers.Masking")
class Masking(Layer):
    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, dict) and mask_value.get("config") is not None:
            from lamina.registry.serialization import deserialize_keras_object

            mask_value = deserialize_keras_object(mask_value)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        keep = self._keep(inputs).unsqueeze(-1)
        return torch.where(keep, inputs, torch.zeros((), dtype=inputs.dtype, device=inputs.device))

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs)

    def _keep(self, inputs):
        return (inputs != self.mask_value).any(dim=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
