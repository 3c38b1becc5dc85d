"""RandomContrast: scale each image's deviation from its mean by a random factor."""

import torch

from lamina.layers.preprocessing.random_image_layer import RandomImageLayer
from lamina.registry.export import keras_export


@keras_export("layers.RandomContrast")
class RandomContrast(RandomImageLayer):
    """Adjusts contrast during training: `(x - mean) * c + mean`, clipped to `value_range`.

    `mean` is per image and channel (over height and width); `c` is drawn per image from
    [1 - lower, 1 + upper].

    Args:
        factor: a number f or a pair (lower, upper) in [0, 1]. As in Keras 3 (whose shared
            factor parsing clips a single number's lower bound to 0), a single number f gives
            the range [1, 1 + f]; pass `(f, f)` for [1 - f, 1 + f].
        value_range: (min, max) of the pixel values, used for clipping (default (0, 255)).
        seed: int for reproducible draws.
    """

    _cast_when_inactive = False

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = contrast_range(factor)
        self.value_range = tuple(value_range)

    def augment(self, images):
        factor = self.uniform((images.shape[0], 1, 1, 1), 1.0 - self.factor[0],
                              1.0 + self.factor[1], images)
        mean = images.mean(dim=(1, 2), keepdim=True)
        return torch.clamp((images - mean) * factor + mean, *self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}


def contrast_range(factor):
    message = (
        "RandomContrast: `factor` should be a number (or a list of two numbers) in the range "
        f"[0, 1]. Received: factor={factor}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > 1 or factor[1] < 0:
            raise ValueError(message)
        return tuple(sorted(factor))
    if not isinstance(factor, (int, float)) or isinstance(factor, bool) or not 0 <= factor <= 1:
        raise ValueError(message)
    return (0, abs(factor))  # Keras clips the lower bound -f to the range's minimum, 0
