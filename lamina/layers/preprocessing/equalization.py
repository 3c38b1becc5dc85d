"""Equalization: histogram equalization of each channel."""

import torch

from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           check_value_range, to_range)
from lamina.registry.export import keras_export


@keras_export("layers.Equalization")
class Equalization(AugmentationLayer):
    """Equalizes the histogram of each channel (applied when `training`, as in Keras).

    As in Keras, values are mapped to [0, 255] and one histogram of `bins` bins is counted
    per channel over the whole batch; each value `v` becomes
    `round(255 (cdf[i] - cdf_min) / (cdf[-1] - cdf_min))` with `i = int(v (bins - 1) / 255)`.
    A channel whose values fall in a single bin is left unchanged.

    Args:
        value_range: (min, max) of the pixel values (default (0, 255)).
        bins: number of histogram bins (default 256).
    """

    _cast_when_inactive = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        self.value_range = check_value_range(value_range, "Equalization")

    def augment(self, images):
        scaled = to_range(images, self.value_range, (0, 255))
        channels = [self._equalize(scaled[..., i]) for i in range(images.shape[-1])]
        return to_range(torch.stack(channels, dim=-1), (0, 255), self.value_range)

    def _equalize(self, channel):
        bins = self.bins
        indices = (channel.float() * (bins - 1) / 255.0).to(torch.int32).clamp(0, bins - 1)
        histogram = torch.bincount(indices.reshape(-1).long(), minlength=bins)
        if int((histogram != 0).sum()) <= 1:
            return channel
        cdf = torch.cumsum(histogram, 0)
        cdf_min = cdf[torch.argmax((cdf > 0).to(torch.int32))]
        denominator = cdf[-1] - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        table = torch.clamp(torch.round((cdf - cdf_min) * 255 / denominator), 0, 255)
        lookup = (channel / 255.0 * (bins - 1)).clamp(0, bins - 1).to(torch.int32).long()
        return table.to(channel.dtype)[lookup]

    def get_config(self):
        config = {**super().get_config(), "bins": self.bins,
                  "value_range": list(self.value_range)}
        config.pop("seed")  # deterministic: no seed argument, as in Keras
        return config
