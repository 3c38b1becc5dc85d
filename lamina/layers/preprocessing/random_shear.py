"""RandomShear: shear images along x and/or y by random amounts."""

import torch

from lamina.layers.preprocessing.augmentation_base import AugmentationLayer, unit_factor
from lamina.layers.preprocessing.random_image_layer import GeometricRandomLayer
from lamina.registry.export import keras_export


@keras_export("layers.RandomShear")
class RandomShear(AugmentationLayer, GeometricRandomLayer):
    """Shears each image during training.

    Output pixel (x, y) samples the input at `(x + sx * y, sx' * x + y)`: per image, the
    x shear `sx` is drawn from `x_factor`'s range and the y shear from `y_factor`'s, and one
    coin flip negates both.

    Args:
        x_factor: a number f in [0, 1] draws from [-f, f]; a pair (low, high) in [-1, 1] from
            that range. Default 0 (no x shear).
        y_factor: the same for the y shear.
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest".
        fill_value: the value outside the image with fill_mode "constant".
        seed: int for reproducible draws.
    """

    _masks_pass_through = False

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.x_factor = _shear_range(x_factor, "x_factor")
        self.y_factor = _shear_range(y_factor, "y_factor")

    def random_transforms(self, images):
        batch = images.shape[0]
        invert = torch.where(self.uniform((batch,), 0.0, 1.0, images) > 0.5, -1.0, 1.0)
        shear_y = self.uniform((batch,), self.y_factor[0], self.y_factor[1], images) * invert
        shear_x = self.uniform((batch,), self.x_factor[0], self.x_factor[1], images) * invert
        ones, zeros = torch.ones_like(shear_x), torch.zeros_like(shear_x)
        return torch.stack([ones, shear_x, zeros, shear_y, ones, zeros, zeros, zeros], dim=1)

    def get_config(self):
        return {**super().get_config(), "x_factor": list(self.x_factor),
                "y_factor": list(self.y_factor)}


def _shear_range(factor, name):
    """f in [0, 1] -> (-f, f); a pair is sorted. Unlike Keras, a pair may hold values in
    [-1, 1], so that the (-f, f) ranges get_config writes load back."""
    if isinstance(factor, (tuple, list)) and len(factor) == 2 and all(
            isinstance(f, (int, float)) and -1 <= f <= 1 for f in factor):
        return tuple(sorted(factor))
    return unit_factor(factor, "RandomShear", name, symmetric=True)
