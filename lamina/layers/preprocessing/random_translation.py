"""RandomTranslation: shift images by a random fraction of their size."""

import torch

from lamina.layers.preprocessing.random_image_layer import GeometricRandomLayer, symmetric_range
from lamina.registry.export import keras_export


@keras_export("layers.RandomTranslation")
class RandomTranslation(GeometricRandomLayer):
    """Shifts each image during training.

    Args:
        height_factor: fraction of the height: a number f shifts by a random amount in
            [-f, f] * height, a pair (low, high) in [low, high] * height (positive = down).
        width_factor: the same for the width (positive = right).
        fill_mode, interpolation, seed, fill_value: as for `RandomRotation`.
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

    def random_transforms(self, images):
        batch, height, width = images.shape[:3]
        dy = self.uniform((batch,), *self._height_range, images) * height
        dx = self.uniform((batch,), *self._width_range, images) * width
        ones, zeros = torch.ones_like(dx), torch.zeros_like(dx)
        return torch.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], dim=1)

    def get_config(self):
        plain = (lambda f: list(f) if isinstance(f, tuple) else f)
        return {**super().get_config(), "height_factor": plain(self.height_factor),
                "width_factor": plain(self.width_factor)}
