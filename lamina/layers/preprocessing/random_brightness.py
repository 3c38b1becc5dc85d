"""RandomBrightness: add a random offset to every pixel of an image."""

import torch

from lamina.layers.preprocessing.random_image_layer import RandomImageLayer, symmetric_range
from lamina.registry.export import keras_export


@keras_export("layers.RandomBrightness")
class RandomBrightness(RandomImageLayer):
    """Shifts brightness during training: `x + delta`, clipped to `value_range`.

    `delta` is drawn per image from `[lower, upper] * (max - min)` of `value_range`.

    Args:
        factor: a number f in [-1, 1] draws from [-f, f]; a pair (lower, upper) from that range.
        value_range: (min, max) of the pixel values (default (0, 255)).
        seed: int for reproducible draws.
    """

    _cast_when_inactive = False

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = symmetric_range(factor, "factor", (-1, 1), "RandomBrightness")
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(
                "RandomBrightness: `value_range` should be a list of two numbers. Received: "
                f"value_range={value_range}"
            )
        self.value_range = sorted(value_range)

    def augment(self, images):
        low, high = self.value_range
        delta = self.uniform((images.shape[0], 1, 1, 1), *self.factor, images) * (high - low)
        return torch.clamp(images + delta, low, high)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}
