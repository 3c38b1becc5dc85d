"""RandomInvert: replace pixels by `value_range[1] - x` in a random subset of images."""

import torch

from lamina.layers.preprocessing.augmentation_base import AugmentationLayer, keras_factor
from lamina.registry.export import keras_export


@keras_export("layers.RandomInvert")
class RandomInvert(AugmentationLayer):
    """Inverts each image's colours with a random probability during training.

    Per image, a probability p is drawn from `factor`'s range and the image is inverted
    (`value_range[1] - x`) when a U[0, 1) draw falls below p.

    Args:
        factor: a number f (probabilities drawn from [0, f]) or a pair (low, high) in [0, 1].
            Default 1.0.
        value_range: (min, max) of the pixel values (default (0, 255)).
        seed: int for reproducible draws.
    """

    _cast_when_inactive = False

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomInvert")
        self.value_range = value_range

    def augment(self, images):
        batch = images.shape[0]
        probability = self.uniform((batch,), self.factor[0], self.factor[1], images)
        threshold = self.uniform((batch,), 0.0, 1.0, images)
        apply = (threshold < probability).view(batch, 1, 1, 1)
        return torch.where(apply, self.value_range[1] - images, images)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}
