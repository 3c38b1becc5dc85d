"""Rescaling: `inputs * scale + offset`, e.g. pixel values from [0, 255] to [0, 1]."""

import torch

from lamina import config
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export


@keras_export("layers.Rescaling")
class Rescaling(Layer):
    """Multiplies inputs by `scale` and adds `offset` (numbers, or per-channel lists).

    Integer inputs (e.g. uint8 images) are cast to the layer's float dtype first.

    Example:
        >>> Rescaling(1.0 / 127.5, offset=-1.0)   # [0, 255] -> [-1, 1]
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self._constants = {}
        self.supports_masking = True
        self.built = True

    def _constant(self, value, like):
        if isinstance(value, (int, float)):
            return value  # a Python number: no tensor to create or copy per call
        key = (id(value), like.device, like.dtype)
        cached = self._constants.get(key)
        if cached is None:  # per-channel values: made once per device and dtype
            cached = torch.as_tensor(value, dtype=like.dtype, device=like.device)
            if cached.ndim > 0 and config.image_data_format() == "channels_first":
                cached = cached.reshape(tuple(cached.shape) + (1,) * (3 - cached.ndim))
            self._constants[key] = cached
        return cached

    def call(self, inputs):
        if not inputs.is_floating_point():
            inputs = inputs.to(self._torch_dtype)
        return inputs * self._constant(self.scale, inputs) + self._constant(self.offset, inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": _plain(self.scale), "offset": _plain(self.offset)}


def _plain(value):
    """Numbers stay numbers; arrays and tensors become (nested) lists for the JSON config."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return list(value) if isinstance(value, tuple) else value
