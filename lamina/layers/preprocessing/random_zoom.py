"""RandomZoom: zoom images in or out by a random factor about their centre."""

import torch

from lamina.layers.preprocessing.random_image_layer import (GeometricRandomLayer, as_param,
                                                            symmetric_range)
from lamina.utils.bounding_boxes import converters as box_ops
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
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"). Boxes
            are clipped to the part of the input the output shows and scaled with it (labels
            of boxes left without area become -1); "segmentation_masks" zoom with nearest
            sampling.
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

    def _random_transformation(self, images, input_shape):
        batch = images.shape[0]
        low, high = self._height_range
        height_zoom = self.uniform((batch, 1), 1.0 + low, 1.0 + high, images)
        if self._width_range is None:
            width_zoom = height_zoom
        else:
            low, high = self._width_range
            width_zoom = self.uniform((batch, 1), 1.0 + low, 1.0 + high, images)
        return {"height_zoom": height_zoom, "width_zoom": width_zoom,
                "input_shape": input_shape}

    def affine_transforms(self, transformation, images):
        height, width = images.shape[1:3]
        return zoom_transforms(as_param(transformation["width_zoom"], images, (-1,)),
                               as_param(transformation["height_zoom"], images, (-1,)),
                               height, width)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._image_size(transformation["input_shape"])
        boxes = box_ops.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                       "xyxy", height, width)
        transforms = zoom_transforms(as_param(transformation["width_zoom"], boxes, (-1,)),
                                     as_param(transformation["height_zoom"], boxes, (-1,)),
                                     height, width)
        # The window of the input the output shows: from the image of (0, 0) to that of
        # (width, height). Boxes are clipped to it, and its extent maps onto the image.
        x_start, y_start = transforms[:, 2].view(-1, 1), transforms[:, 5].view(-1, 1)
        x_end = transforms[:, 0].view(-1, 1) * width + x_start
        y_end = transforms[:, 4].view(-1, 1) * height + y_start
        x1, y1, x2, y2 = boxes.unbind(-1)
        rel = torch.stack([(_clip(x1, x_start, x_end) - x_start) / (x_end - x_start),
                           (_clip(y1, y_start, y_end) - y_start) / (y_end - y_start),
                           (_clip(x2, x_start, x_end) - x_start) / (x_end - x_start),
                           (_clip(y2, y_start, y_end) - y_start) / (y_end - y_start)], -1)
        clipped = box_ops.clip_to_image_size({**bounding_boxes, "boxes": rel},
                                             bounding_box_format="rel_xyxy")
        clipped["boxes"] = box_ops.convert_format(clipped["boxes"], "rel_xyxy",
                                                  self.bounding_box_format, height, width)
        return clipped

    def get_config(self):
        return {**super().get_config(), "height_factor": _plain(self.height_factor),
                "width_factor": _plain(self.width_factor)}


def zoom_transforms(width_zoom, height_zoom, height, width):
    """(batch, 8) transforms zooming by (batch,) factors about the image centre."""
    zeros = torch.zeros_like(height_zoom)
    x_offset = (width - 1) / 2.0 * (1.0 - width_zoom)
    y_offset = (height - 1) / 2.0 * (1.0 - height_zoom)
    return torch.stack([width_zoom, zeros, x_offset, zeros, height_zoom, y_offset, zeros, zeros],
                       dim=1)


def _clip(values, low, high):
    return torch.minimum(torch.maximum(values, low), high)


def _plain(factor):
    return list(factor) if isinstance(factor, tuple) else factor
