"""RandomSaturation: scale the HSV saturation of each image by a random factor."""

import torch

from lamina import config
from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           check_value_range, hsv_to_rgb,
                                                           keras_factor, rgb_to_hsv)
from lamina.registry.export import keras_export


@keras_export("layers.RandomSaturation")
class RandomSaturation(AugmentationLayer):
    """Adjusts saturation during training.

    Per image, f is drawn from `factor`'s range and the saturation is multiplied by
    `f / (1 - f + epsilon)` (so f = 0.5 keeps it, 0 removes it, values near 1 saturate
    fully), then clipped to `value_range`, as Keras does (the HSV conversion is applied to the
    pixel values as given).

    Args:
        factor: a number f in [-1, 1] draws from [-|f|, |f|] (Keras's shared factor
            parsing); a pair (low, high) from that range.
        value_range: (min, max) of the pixel values (default (0, 255)).
        seed: int for reproducible draws.
    """

    _cast_when_inactive = False

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (-1, 1), "RandomSaturation")
        self.value_range = check_value_range(value_range, "RandomSaturation")

    def augment(self, images):
        factor = self.uniform((images.shape[0],), self.factor[0], self.factor[1], images)
        factor = factor / (1 - factor + config.epsilon())
        return scale_saturation(images, factor, self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}


def scale_saturation(images, factor, value_range):
    hsv = rgb_to_hsv(images)
    saturation = torch.clamp(hsv[..., 1] * factor.view(-1, 1, 1), value_range[0],
                             value_range[1])
    return hsv_to_rgb(torch.stack([hsv[..., 0], saturation, hsv[..., 2]], dim=-1))
