"""AutoContrast: stretch each image channel to span the whole value range."""

import torch

from lamina.ops import image_kernels
from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           check_value_range, to_range)
from lamina.registry.export import keras_export


@keras_export("layers.AutoContrast")
class AutoContrast(AugmentationLayer):
    """Maps each image's per-channel [min, max] linearly onto `value_range`.

    Deterministic and active in training and inference alike. A constant channel (max ==
    min) is returned unchanged. Integer inputs are rounded back to their dtype.

    Args:
        value_range: (min, max) of the pixel values (default (0, 255)).
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = check_value_range(value_range, "AutoContrast")

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return super().call(inputs, training=True)
        image_kernels.spatial_axes(inputs.ndim, self.data_format)
        images = image_kernels.as_float(inputs, self._torch_dtype)
        batched, restore = image_kernels.to_batched_channels_last(images, self.data_format)
        result = restore(self.augment(batched))
        if not inputs.dtype.is_floating_point and inputs.dtype != torch.bool:
            return image_kernels.saturate_cast(result, inputs.dtype)
        return result

    def augment(self, images):
        scaled = to_range(images, self.value_range, (0, 255))
        low = scaled.amin(dim=(1, 2), keepdim=True)
        high = scaled.amax(dim=(1, 2), keepdim=True)
        scale = 255.0 / (high - low)
        results = torch.clamp(scaled * scale - low * scale, 0.0, 255.0)
        results = to_range(results, (0, 255), self.value_range)
        return torch.where(torch.isnan(results), images, results)

    def get_config(self):
        config = {**super().get_config(), "value_range": list(self.value_range)}
        config.pop("seed")  # deterministic: no seed argument, as in Keras
        return config
