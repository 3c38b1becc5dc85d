"""RandomColorDegeneration: blend images towards their grayscale version by a random amount."""

import torch

from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           check_value_range, grayscale,
                                                           keras_factor)
from lamina.registry.export import keras_export


@keras_export("layers.RandomColorDegeneration")
class RandomColorDegeneration(AugmentationLayer):
    """Reduces colour saturation during training: `x + f * (gray(x) - x)`, clipped.

    `f` is drawn per image from `factor`'s range (f = 1 is fully gray).

    Args:
        factor: a number f in [-1, 1] draws from [-|f|, |f|] (Keras's shared factor
            parsing); a pair (low, high) from that range.
        value_range: (min, max) of the pixel values (default (0, 255)).
        seed: int for reproducible draws.
    """

    _cast_when_inactive = False

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (-1, 1), "RandomColorDegeneration")
        self.value_range = check_value_range(value_range, "RandomColorDegeneration")

    def augment(self, images):
        factor = self.uniform((images.shape[0], 1, 1, 1), self.factor[0], self.factor[1],
                              images)
        images = images + factor * (grayscale(images) - images)
        return torch.clamp(images, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}
