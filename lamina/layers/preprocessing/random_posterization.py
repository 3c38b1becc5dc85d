"""RandomPosterization: keep only the top bits of each 8-bit colour value."""

import torch

from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           check_value_range, keras_factor,
                                                           to_range)
from lamina.registry.export import keras_export


@keras_export("layers.RandomPosterization")
class RandomPosterization(AugmentationLayer):
    """Posterizes images during training.

    Pixels are mapped to [0, 255], truncated to uint8, and only their top `b` bits are kept,
    with `b` drawn per image as an integer in [low, high) of `factor`'s range (or `b = low`
    when low == high), then mapped back to `value_range`.

    Args:
        factor: an int in [1, 8] gives the range (1, factor); a pair (low, high).
        value_range: (min, max) of the pixel values (default (0, 255)).
        seed: int for reproducible draws.
    """

    _cast_when_inactive = False
    _MAX_BITS = 8

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (1, 8), "RandomPosterization")
        self.value_range = check_value_range(value_range, "RandomPosterization")

    def augment(self, images):
        batch = images.shape[0]
        low, high = int(self.factor[0]), int(self.factor[1])
        if low != high:
            generator = self.generator.generator(images.device)
            bits = torch.randint(low, high, (batch,), generator=generator, device=images.device)
        else:
            bits = torch.full((batch,), low, device=images.device)
        shift = (self._MAX_BITS - bits).view(batch, 1, 1, 1)
        values = to_range(images, self.value_range, (0, 255)).to(torch.uint8).long()
        values = (values >> shift) << shift
        return to_range(values.to(images.dtype), (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}
