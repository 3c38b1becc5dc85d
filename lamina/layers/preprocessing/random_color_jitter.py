"""RandomColorJitter: random brightness, contrast, saturation and hue, one after another."""

from lamina.layers.preprocessing.augmentation_base import AugmentationLayer
from lamina.layers.preprocessing.random_brightness import RandomBrightness
from lamina.layers.preprocessing.random_contrast import RandomContrast
from lamina.layers.preprocessing.random_hue import RandomHue
from lamina.layers.preprocessing.random_saturation import RandomSaturation
from lamina.registry.export import keras_export


@keras_export("layers.RandomColorJitter")
class RandomColorJitter(AugmentationLayer):
    """Applies, in this order, RandomBrightness, RandomContrast, RandomSaturation and
    RandomHue during training, each only when its factor is given (not None).

    Args:
        value_range: (min, max) of the pixel values (default (0, 255)), shared by all four.
        brightness_factor, contrast_factor, saturation_factor, hue_factor: the `factor` of
            the corresponding layer, or None (default) to skip it.
        seed: int for reproducible draws (each step is seeded with it).
    """

    _cast_when_inactive = False

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        steps = [(RandomBrightness, brightness_factor), (RandomContrast, contrast_factor),
                 (RandomSaturation, saturation_factor), (RandomHue, hue_factor)]
        self.steps = [cls(factor=factor, value_range=value_range, seed=seed)
                      for cls, factor in steps if factor is not None]

    def augment(self, images):
        for step in self.steps:
            images = step.augment(images)
        return images

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range),
                "brightness_factor": _plain(self.brightness_factor),
                "contrast_factor": _plain(self.contrast_factor),
                "saturation_factor": _plain(self.saturation_factor),
                "hue_factor": _plain(self.hue_factor)}


def _plain(factor):
    return list(factor) if isinstance(factor, tuple) else factor
