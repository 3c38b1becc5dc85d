"""RandomPerspective: move the image corners at random and warp by the homography."""

import torch

from lamina.ops import image_kernels
from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer, keras_factor,
                                                           sample)
from lamina.registry.export import keras_export


@keras_export("layers.RandomPerspective")
class RandomPerspective(AugmentationLayer):
    """Applies a random perspective warp to a random subset of images during training.

    Per image, a probability drawn from `factor`'s range decides (against a U[0, 1) draw)
    whether it is warped; each corner (x, y) moves to `(x (1 + dx), y (1 + dy))` with dx, dy
    from U[-scale/2, scale/2]. Output pixels sample the input through the homography mapping
    the moved corners to the original ones; outside pixels take `fill_value`.

    Args:
        factor: a number f (probabilities from [0, f]) or a pair in [0, 1]. Default 1.0.
        scale: strength of the corner moves, in [0, 1] (default 1.0).
        interpolation: "bilinear" (default) or "nearest".
        fill_value: value of the pixels that come from outside the image (default 0).
        seed: int for reproducible draws.
    """

    _masks_pass_through = False

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomPerspective")
        if not 0.0 <= scale <= 1.0:
            raise ValueError(
                "The `scale` argument should be a number in the range [0,1]. "
                f"Received: scale={scale}"
            )
        if interpolation not in image_kernels.AFFINE_INTERPOLATIONS:
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one "
                f"{image_kernels.AFFINE_INTERPOLATIONS}."
            )
        self.scale = scale
        self.interpolation = interpolation
        self.fill_value = fill_value

    def augment(self, images):
        batch, height, width, _ = images.shape
        probability = self.uniform((batch,), self.factor[0], self.factor[1], images)
        apply = self.uniform((batch,), 0.0, 1.0, images) < probability
        moves = self.uniform((batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, images)
        start = torch.tensor([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1],
                              [width - 1, height - 1]], dtype=images.dtype,
                             device=images.device).expand(batch, 4, 2)
        end = start + start * moves
        warped = perspective_transform(images, start, end, self.interpolation,
                                       self.fill_value)
        return torch.where(apply.view(batch, 1, 1, 1), warped, images)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


def homography(start, end):
    """(batch, 8) coefficients mapping `end` points onto `start` points, (batch, 4, 2) each."""
    start64, end64 = start.double(), end.double()
    sx, sy = start64[..., 0], start64[..., 1]
    ex, ey = end64[..., 0], end64[..., 1]
    zeros, ones = torch.zeros_like(ex), torch.ones_like(ex)
    x_rows = torch.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], dim=-1)
    y_rows = torch.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], dim=-1)
    matrix = torch.cat([x_rows, y_rows], dim=1)
    target = torch.cat([sx, sy], dim=-1).unsqueeze(-1)
    return torch.linalg.solve(matrix, target).squeeze(-1).to(start.dtype)


def perspective_transform(images, start, end, interpolation="bilinear", fill_value=0.0):
    """Warp (batch, h, w, c) images so that the `start` corners land on the `end` ones."""
    _, height, width, _ = images.shape
    h = homography(start, end).view(-1, 8, 1, 1)
    rows = torch.arange(height, dtype=images.dtype, device=images.device).view(1, height, 1)
    cols = torch.arange(width, dtype=images.dtype, device=images.device).view(1, 1, width)
    denominator = h[:, 6] * cols + h[:, 7] * rows + 1.0
    source_x = (h[:, 0] * cols + h[:, 1] * rows + h[:, 2]) / denominator
    source_y = (h[:, 3] * cols + h[:, 4] * rows + h[:, 5]) / denominator
    return sample(images, source_x, source_y, interpolation, "constant", fill_value)
