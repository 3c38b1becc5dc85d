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

    In a dict input, bounding boxes (in `bounding_box_format`) and segmentation masks go
    through the chosen geometric operations (shear, translation, rotation) with the images'
    draws; the colour operations leave them alone. The transformation is Keras's dict:
    `{"layer_idxes": (num_ops,), "transforms": {operation name: its transformation}}`; an
    operation chosen twice applies its one transformation twice, as in Keras. lamina holds
    transformations only for the chosen operations, and the colour operations draw theirs
    when they transform the images (Keras draws every operation's up front).

    Keras 3.15 moves the boxes through the chosen operations in the list's order and at
    most once each, so its boxes part from its images when the geometric operations are
    chosen in another order or one is chosen twice; lamina moves them in the images' order.

    Args:
        value_range: (min, max) of the pixel values (default (0, 255)).
        num_ops: how many operations to apply one after another (default 2).
        factor: the strength, a number f (meaning [0, f]) or a pair in [0, 1]. Default 0.5.
        interpolation: "bilinear" (default) or "nearest", for the geometric operations.
        seed: int for reproducible draws.
    """

    _boxes_mode = "transform"
    _masks_mode = "transform"
    _uses_transformations = True

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
        for operation in self._operations:  # Keras hands its kwargs to the operations
            operation.bounding_box_format = self.bounding_box_format

    def _random_transformation(self, images, input_shape):
        generator = self.generator.generator(images.device)
        choices = torch.randint(0, len(self._operations), (self.num_ops,),
                                generator=generator, device=images.device)
        transforms = {}
        for index in sorted(set(choices.tolist())):
            operation = self._operations[index]
            transforms[RAND_AUGMENT_OPERATIONS[index]] = (
                operation._random_transformation(images, input_shape)
                if operation._uses_transformations else None)
        return {"layer_idxes": choices, "transforms": transforms}

    def _chosen(self, transformation):
        """(operation, its transformation) for each chosen index, in the order applied."""
        for index in torch.as_tensor(transformation["layer_idxes"]).reshape(-1).tolist():
            name = RAND_AUGMENT_OPERATIONS[index]
            yield getattr(self, name), transformation["transforms"].get(name)

    def _transform_batch(self, images, transformation, interpolation=None):
        for operation, sub in self._chosen(transformation):
            if not operation._uses_transformations:
                images = operation.augment(images)  # colour operations draw as they go
            elif sub is not None:
                images = operation._transform_batch(images, sub)
        return images

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes through the chosen geometric operations, in the images' order."""
        if not training or transformation is None:
            return bounding_boxes
        for operation, sub in self._chosen(transformation):
            if operation._boxes_mode == "transform" and sub is not None:
                bounding_boxes = operation.transform_bounding_boxes(bounding_boxes, sub)
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """Masks through the chosen geometric operations (nearest sampling)."""
        if not training or transformation is None:
            return segmentation_masks
        for operation, sub in self._chosen(transformation):
            if operation._masks_mode == "transform" and sub is not None:
                segmentation_masks = operation.transform_segmentation_masks(
                    segmentation_masks, sub)
        return segmentation_masks

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range),
                "num_ops": self.num_ops, "factor": list(self.factor),
                "interpolation": self.interpolation}
