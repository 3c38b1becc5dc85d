"""RandomRotation: rotate images by a random angle about their centre."""

import math

import torch

from lamina.layers.preprocessing.random_image_layer import (GeometricRandomLayer, as_param,
                                                            clip_and_convert, symmetric_range)
from lamina.utils.bounding_boxes import converters as box_ops
from lamina.registry.export import keras_export


@keras_export("layers.RandomRotation")
class RandomRotation(GeometricRandomLayer):
    """Rotates each image by an angle drawn from `factor * 2 pi` during training.

    Args:
        factor: fraction of a full turn: a number f draws from [-f, f] turns, a pair
            (low, high) from [low, high] (positive = counter-clockwise).
        fill_mode: how to fill the corners: "reflect" (default), "wrap", "constant" (with
            `fill_value`) or "nearest".
        interpolation: "bilinear" (default) or "nearest".
        seed: int for reproducible rotations.
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"). Each box
            becomes the box around its rotated corners, clipped to the image (labels of boxes
            left without area become -1); "segmentation_masks" rotate with nearest sampling.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.factor = symmetric_range(factor, "factor", (-1, 1), "RandomRotation")

    def _random_transformation(self, images, input_shape):
        batch, height, width = images.shape[:3]
        angle = self.uniform((batch,), self.factor[0] * 360.0, self.factor[1] * 360.0, images)
        matrix = rotation_transforms(angle * (math.pi / 180.0), height, width)
        return {"angle": angle, "rotation_matrix": matrix if len(input_shape) == 4 else matrix[0],
                "image_height": height, "image_width": width, "batch_size": batch}

    def affine_transforms(self, transformation, images):
        return as_param(transformation["rotation_matrix"], images, (-1, 8))

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = int(transformation["image_height"]), int(transformation["image_width"])
        # Keras feeds the boxes to the affine step as they are (as if they were "xyxy");
        # lamina converts them first, so every format moves the same way.
        boxes = box_ops.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                       "xyxy", height, width)
        angle = as_param(transformation["angle"], boxes, (-1,))
        zeros, ones = torch.zeros_like(angle), torch.ones_like(angle)
        boxes = box_ops.affine_transform(boxes, angle, zeros, zeros, ones, zeros, zeros,
                                         height, width)
        return clip_and_convert(bounding_boxes, boxes, height, width, self.bounding_box_format)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


def rotation_transforms(angles, height, width):
    """(batch, 8) transforms rotating images by `angles` (radians) about the image centre."""
    cos, sin = torch.cos(angles), torch.sin(angles)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    zeros = torch.zeros_like(angles)
    return torch.stack([cos, -sin, cx - cx * cos + cy * sin,
                        sin, cos, cy - cx * sin - cy * cos, zeros, zeros], dim=1)
