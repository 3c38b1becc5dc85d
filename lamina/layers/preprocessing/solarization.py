"""Solarization: invert the pixels above a threshold, `255 - x` on a [0, 255] scale."""

import torch

from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           check_value_range, to_range,
                                                           unit_factor)
from lamina.registry.export import keras_export


@keras_export("layers.Solarization")
class Solarization(AugmentationLayer):
    """Solarizes images during training.

    Images are mapped from `value_range` to [0, 255]; per image an addition a and a threshold
    t are drawn, pixels become `y = clip(x + a, 0, 255)` and then `255 - y` where `y >= t`,
    and are mapped back. With the defaults (a = t = 0) every pixel is inverted.

    Args:
        addition_factor: f in [0, 1] draws a from [0, 255 f] (a pair (low, high) from
            [low, 255 high], as Keras does). Default 0.
        threshold_factor: the same for the threshold t. Default 0.
        value_range: (min, max) of the pixel values (default (0, 255)).
        seed: int for reproducible draws.
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = unit_factor(addition_factor, "Solarization", "addition_factor")
        self.threshold_factor = unit_factor(threshold_factor, "Solarization",
                                            "threshold_factor")
        self.value_range = check_value_range(value_range, "Solarization")

    def augment(self, images):
        shape = (images.shape[0], 1, 1, 1)
        additions = self.uniform(shape, self.addition_factor[0],
                                 self.addition_factor[1] * 255, images)
        thresholds = self.uniform(shape, self.threshold_factor[0],
                                  self.threshold_factor[1] * 255, images)
        results = torch.clamp(to_range(images, self.value_range, (0, 255)) + additions, 0, 255)
        results = torch.where(results < thresholds, results, 255 - results)
        return to_range(results, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range),
                "addition_factor": list(self.addition_factor),
                "threshold_factor": list(self.threshold_factor)}
