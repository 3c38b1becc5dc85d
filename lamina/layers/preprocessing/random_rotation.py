"""RandomRotation: rotate images by a random angle about their centre."""

import math

import torch

from lamina.layers.preprocessing.random_image_layer import GeometricRandomLayer, symmetric_range
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
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.factor = symmetric_range(factor, "factor", (-1, 1), "RandomRotation")

    def random_transforms(self, images):
        batch, height, width = images.shape[:3]
        degrees = self.uniform((batch,), self.factor[0] * 360.0, self.factor[1] * 360.0, images)
        return rotation_transforms(degrees * (math.pi / 180.0), height, width)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


def rotation_transforms(angles, height, width):
    """(batch, 8) transforms rotating images by `angles` (radians) about the image centre."""
    cos, sin = torch.cos(angles), torch.sin(angles)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    zeros = torch.zeros_like(angles)
    return torch.stack([cos, -sin, cx - cx * cos + cy * sin,
                        sin, cos, cy - cx * sin - cy * cos, zeros, zeros], dim=1)
