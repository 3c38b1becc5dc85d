"""RandomPerspective: move the image corners at random and warp by the homography."""

import torch

from lamina.ops import image_kernels
from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer, keras_factor,
                                                           sample)
from lamina.layers.preprocessing.random_image_layer import as_param, clip_and_convert
from lamina.registry.export import keras_export
from lamina.utils.bounding_boxes import converters as box_ops


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
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"). Each box
            becomes the box around its warped corners, clipped to the image (labels of boxes
            left without area become -1); "segmentation_masks" warp with nearest sampling.
    """

    _boxes_mode = "transform"
    _masks_mode = "transform"
    _uses_transformations = True

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

    def _random_transformation(self, images, input_shape):
        batch, height, width, _ = images.shape
        probability = self.uniform((batch,), self.factor[0], self.factor[1], images)
        apply = self.uniform((batch,), 0.0, 1.0, images) < probability
        moves = self.uniform((batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, images)
        start = torch.tensor([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1],
                              [width - 1, height - 1]], dtype=images.dtype,
                             device=images.device).expand(batch, 4, 2)
        return {"apply_perspective": apply, "start_points": start,
                "end_points": start + start * moves, "input_shape": input_shape}

    def _transform_batch(self, images, transformation, interpolation=None):
        batch = images.shape[0]
        start = as_param(transformation["start_points"], images, (-1, 4, 2))
        end = as_param(transformation["end_points"], images, (-1, 4, 2))
        apply = torch.as_tensor(transformation["apply_perspective"], device=images.device)
        warped = perspective_transform(images, start, end, interpolation or self.interpolation,
                                       self.fill_value)
        return torch.where(apply.view(batch, 1, 1, 1), warped, images)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._image_size(transformation["input_shape"])
        boxes = box_ops.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                       "xyxy", height, width)
        start = as_param(transformation["start_points"], boxes, (-1, 4, 2))
        end = as_param(transformation["end_points"], boxes, (-1, 4, 2))
        # The image samples input points through the homography; a box corner therefore
        # goes where the inverse homography sends it, and the box becomes the box around its
        # four moved corners.
        matrix = torch.cat([homography(start, end).double(),
                            torch.ones(start.shape[0], 1, dtype=torch.float64,
                                       device=boxes.device)], 1).view(-1, 3, 3)
        inverse = torch.linalg.inv(matrix).to(boxes.dtype).unsqueeze(1)  # (batch, 1, 3, 3)
        x1, y1, x2, y2 = boxes.unbind(-1)
        corners = torch.stack([torch.stack([x, y, torch.ones_like(x)], -1)
                               for x, y in ((x1, y1), (x2, y2), (x1, y2), (x2, y1))], -1)
        moved = inverse @ corners  # (batch, n, 3, 4 corners)
        xs, ys = moved[:, :, 0] / moved[:, :, 2], moved[:, :, 1] / moved[:, :, 2]
        warped = torch.stack([xs.amin(-1), ys.amin(-1), xs.amax(-1), ys.amax(-1)], -1)
        apply = torch.as_tensor(transformation["apply_perspective"], device=boxes.device)
        boxes = torch.where(apply.view(-1, 1, 1), warped, boxes)
        # Keras returns these boxes in "xyxy" whatever the layer's format; lamina converts
        # them back to `bounding_box_format`.
        return clip_and_convert(bounding_boxes, boxes, height, width, self.bounding_box_format)

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
