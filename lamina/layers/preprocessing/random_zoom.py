"""RandomZoom: zoom images in or out by a random factor about their centre."""

import torch

from lamina.layers.preprocessing.random_image_layer import GeometricRandomLayer, symmetric_range
from lamina.registry.export import keras_export


@keras_export("layers.RandomZoom")
class RandomZoom(GeometricRandomLayer):
    """Zooms each image during training.

    Args:
        height_factor: a number f draws the vertical zoom from [1 - f, 1 + f] (of the image
            size shown); a pair (low, high) from [1 + low, 1 + high]. Positive values zoom out,
            negative values zoom in. Values in (-1, 1].
        width_factor: the same for the horizontal zoom; `None` (default) reuses the vertical
            zoom, preserving the aspect ratio.
        fill_mode, interpolation, seed, fill_value: as for `RandomRotation`.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = symmetric_range(height_factor, "height_factor", (-1, 1),
                                             "RandomZoom", allow_lower_bound=False)
        self._width_range = None if width_factor is None else symmetric_range(
            width_factor, "width_factor", (-1, 1), "RandomZoom", allow_lower_bound=False)

    def random_transforms(self, images):
        batch, height, width = images.shape[:3]
        low, high = self._height_range
        height_zoom = self.uniform((batch,), 1.0 + low, 1.0 + high, images)
        if self._width_range is None:
            width_zoom = height_zoom
        else:
            low, high = self._width_range
            width_zoom = self.uniform((batch,), 1.0 + low, 1.0 + high, images)
        zeros = torch.zeros_like(height_zoom)
        x_offset = (width - 1) / 2.0 * (1.0 - width_zoom)
        y_offset = (height - 1) / 2.0 * (1.0 - height_zoom)
        return torch.stack([width_zoom, zeros, x_offset, zeros, height_zoom, y_offset,
                            zeros, zeros], dim=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": _plain(self.height_factor),
                "width_factor": _plain(self.width_factor)}


def _plain(factor):
    return list(factor) if isinstance(factor, tuple) else factor
