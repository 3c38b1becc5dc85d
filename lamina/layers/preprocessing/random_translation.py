"""RandomTranslation: shift images by a random fraction of their size."""

import torch

from lamina.layers.preprocessing.random_image_layer import (GeometricRandomLayer, as_param,
                                                            clip_and_convert, symmetric_range)
from lamina.utils.bounding_boxes import converters as box_ops
from lamina.registry.export import keras_export


@keras_export("layers.RandomTranslation")
class RandomTranslation(GeometricRandomLayer):
    """Shifts each image during training.

    Args:
        height_factor: fraction of the height: a number f shifts by a random amount in
            [-f, f] * height, a pair (low, high) in [low, high] * height (positive = down).
        width_factor: the same for the width (positive = right).
        fill_mode, interpolation, seed, fill_value: as for `RandomRotation`.
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"). Boxes
            shift with the images and are clipped to them (labels of boxes left without area
            become -1); "segmentation_masks" shift with nearest sampling.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = symmetric_range(height_factor, "height_factor", (-1, 1),
                                             "RandomTranslation")
        self._width_range = symmetric_range(width_factor, "width_factor", (-1, 1),
                                            "RandomTranslation")

    def _random_transformation(self, images, input_shape):
        batch, height, width = images.shape[:3]
        dy = self.uniform((batch,), *self._height_range, images) * height
        dx = self.uniform((batch,), *self._width_range, images) * width
        return {"translations": torch.stack([dx, dy], dim=1), "input_shape": input_shape}

    def affine_transforms(self, transformation, images):
        shifts = as_param(transformation["translations"], images, (-1, 2))
        dx, dy = shifts.unbind(1)
        ones, zeros = torch.ones_like(dx), torch.zeros_like(dx)
        return torch.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], dim=1)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._image_size(transformation["input_shape"])
        boxes = box_ops.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                       "xyxy", height, width)
        shifts = as_param(transformation["translations"], boxes, (-1, 1, 2))
        boxes = boxes + shifts.repeat(1, 1, 2)
        return clip_and_convert(bounding_boxes, boxes, height, width, self.bounding_box_format)

    def get_config(self):
        plain = (lambda f: list(f) if isinstance(f, tuple) else f)
        return {**super().get_config(), "height_factor": plain(self.height_factor),
                "width_factor": plain(self.width_factor)}
