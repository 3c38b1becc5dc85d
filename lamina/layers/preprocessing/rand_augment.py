"""RandAugment: a few augmentations chosen at random from a fixed list, applied in turn."""

import torch

from lamina.ops import image_kernels
from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           check_value_range, keras_factor)
from lamina.layers.preprocessing.policy_operations import attach_operations
from lamina.registry.export import keras_export

RAND_AUGMENT_OPERATIONS = (
    "random_shear", "random_translation", "random_rotation", "random_brightness",
    "random_color_degeneration", "random_contrast", "random_sharpness",
    "random_posterization", "solarization", "auto_contrast", "equalization",
)


@keras_export("layers.RandAugment")
class RandAugment(AugmentationLayer):
    """Applies `num_ops` augmentations, each picked uniformly from eleven, during training.

    The operations (shear, translation, rotation, brightness, colour degeneration, contrast,
    sharpness, posterization, solarization, auto-contrast, equalization) are Keras's layers
    of those names, built with `factor` as their strength (`value_range` for the colour
    ones, `interpolation` for the geometric ones); as in Keras, one choice of operations
    holds for the whole batch, and each operation draws its own random parameters per image.
    The sublayers are attributes named as in Keras (`random_shear`, ..., `equalization`).

    Args:
        value_range: (min, max) of the pixel values (default (0, 255)).
        num_ops: how many operations to apply one after another (default 2).
        factor: the strength, a number f (meaning [0, f]) or a pair in [0, 1]. Default 0.5.
        interpolation: "bilinear" (default) or "nearest", for the geometric operations.
        seed: int for reproducible draws.
    """

    _boxes_mode = None  # not implemented in lamina yet
    _masks_mode = None  # not implemented in lamina yet

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        name = "RandAugment"
        self.value_range = check_value_range(value_range, name)
        if not isinstance(num_ops, int) or isinstance(num_ops, bool) or num_ops < 0:
            raise ValueError(f"{name}: `num_ops` should be a non-negative integer. "
                             f"Received: num_ops={num_ops!r}")
        self.num_ops = num_ops
        self.factor = keras_factor(factor, (0, 1), name)
        image_kernels.check_choice(interpolation, image_kernels.AFFINE_INTERPOLATIONS,
                                   "interpolation", name)
        self.interpolation = interpolation
        self._operations = attach_operations(self, RAND_AUGMENT_OPERATIONS, self.factor,
                                             self.value_range, interpolation, seed,
                                             self.data_format)

    def augment(self, images):
        generator = self.generator.generator(images.device)
        choices = torch.randint(0, len(self._operations), (self.num_ops,),
                                generator=generator, device=images.device)
        for index in choices.tolist():
            images = self._operations[index].augment(images)
        return images

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range),
                "num_ops": self.num_ops, "factor": list(self.factor),
                "interpolation": self.interpolation}
