"""RandomSharpness: blend images with a smoothed copy to sharpen or soften them."""

import torch

from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           check_value_range, filter_same,
                                                           keras_factor)
from lamina.registry.export import keras_export

_A, _B = 1.0 / 13.0, 5.0 / 13.0
SMOOTH_KERNEL = ((_A, _A, _A), (_A, _B, _A), (_A, _A, _A))


@keras_export("layers.RandomSharpness")
class RandomSharpness(AugmentationLayer):
    """Changes sharpness during training: `x + (1 - 2f) * (smooth(x) - x)`, clipped.

    `smooth` is a 3x3 filter (1/13 around a 5/13 centre, zero padding); f is drawn per image
    from `factor`'s range, so f = 0.5 leaves images unchanged, smaller values blur and larger
    ones sharpen.

    Args:
        factor: a number f in [0, 1] draws from [0, f]; a pair (low, high) from that range.
        value_range: (min, max) of the pixel values (default (0, 255)).
        seed: int for reproducible draws.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomSharpness")
        self.value_range = check_value_range(value_range, "RandomSharpness")

    def augment(self, images):
        factor = self.uniform((images.shape[0], 1, 1, 1), self.factor[0], self.factor[1],
                              images) * 2
        kernel = torch.tensor(SMOOTH_KERNEL, dtype=images.dtype, device=images.device)
        smoothed = filter_same(images, kernel)
        images = images + (1.0 - factor) * (smoothed - images)
        return torch.clamp(images, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}
