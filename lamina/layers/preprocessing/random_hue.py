"""RandomHue: rotate the hue of each image by a random amount."""

import torch

from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer, hsv_to_rgb,
                                                           keras_factor, rgb_to_hsv, to_range)
from lamina.registry.export import keras_export


@keras_export("layers.RandomHue")
class RandomHue(AugmentationLayer):
    """Shifts hue during training.

    Per image, a shift `f / 2` (f drawn from `factor`'s range, with a random sign) is added
    to the hue in HSV space (hue in [0, 1), wrapped); results are clipped to `value_range`.

    Args:
        factor: a number f in [0, 1] draws from [0, f]; a pair (low, high) from that range.
            1.0 allows any hue.
        value_range: (min, max) of the pixel values (default (0, 255)).
        seed: int for reproducible draws.
    """

    _cast_when_inactive = False

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomHue")
        self.value_range = value_range

    def augment(self, images):
        batch = images.shape[0]
        invert = torch.where(self.uniform((batch,), 0.0, 1.0, images) > 0.5, -1.0, 1.0)
        shift = invert * self.uniform((batch,), self.factor[0], self.factor[1], images) * 0.5
        return shift_hue(images, shift, self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}


def shift_hue(images, shift, value_range):
    hsv = rgb_to_hsv(to_range(images, value_range, (0, 1)))
    hue = hsv[..., 0] + shift.view(-1, 1, 1)
    hue = torch.where(hue > 1.0, hue - 1.0, hue)
    hue = torch.where(hue < 0.0, hue + 1.0, hue)
    rgb = torch.clamp(hsv_to_rgb(torch.stack([hue, hsv[..., 1], hsv[..., 2]], dim=-1)), 0, 1)
    return to_range(rgb, (0, 1), value_range)
