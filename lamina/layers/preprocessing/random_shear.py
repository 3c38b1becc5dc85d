"""RandomShear: shear images along x and/or y by random amounts."""

import torch

from lamina.layers.preprocessing.augmentation_base import AugmentationLayer, unit_factor
from lamina.layers.preprocessing.random_image_layer import GeometricRandomLayer, as_param
from lamina.utils.bounding_boxes import converters as box_ops
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
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"). Boxes
            move by Keras's approximation (in coordinates relative to the image size, so
            exact for square images and one shear at a time) and are clipped to the image
            (labels of boxes left without area become -1); "segmentation_masks" are sheared
            with nearest sampling.
    """


    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.x_factor = _shear_range(x_factor, "x_factor")
        self.y_factor = _shear_range(y_factor, "y_factor")

    def _random_transformation(self, images, input_shape):
        batch = images.shape[0]
        invert = torch.where(self.uniform((batch, 1), 0.0, 1.0, images) > 0.5, -1.0, 1.0)
        shear_y = self.uniform((batch, 1), self.y_factor[0], self.y_factor[1], images)
        shear_x = self.uniform((batch, 1), self.x_factor[0], self.x_factor[1], images)
        return {"shear_factor": torch.cat([shear_x, shear_y], dim=1) * invert,
                "input_shape": input_shape}

    def affine_transforms(self, transformation, images):
        shear_x, shear_y = as_param(transformation["shear_factor"], images, (-1, 2)).unbind(1)
        ones, zeros = torch.ones_like(shear_x), torch.zeros_like(shear_x)
        return torch.stack([ones, shear_x, zeros, shear_y, ones, zeros, zeros, zeros], dim=1)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._image_size(transformation["input_shape"])
        boxes = box_ops.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                       "rel_xyxy", height, width)
        shear = as_param(transformation["shear_factor"], boxes, (-1, 1, 2))
        shear_x, shear_y = shear[..., 0], shear[..., 1]
        x1, y1, x2, y2 = boxes.unbind(-1)
        # Keras's approximation, in relative coordinates: x moves by -shear_x * y (taking the
        # box's extreme rows), then y by -shear_y * x using the already moved x.
        x1, x2 = (torch.where(shear_x < 0, x1 - shear_x * y1, x1 - shear_x * y2),
                  torch.where(shear_x < 0, x2 - shear_x * y2, x2 - shear_x * y1))
        y1, y2 = (torch.where(shear_y > 0, y1 - shear_y * x2, y1 - shear_y * x1),
                  torch.where(shear_y > 0, y2 - shear_y * x1, y2 - shear_y * x2))
        clipped = box_ops.clip_to_image_size(
            {**bounding_boxes, "boxes": torch.stack([x1, y1, x2, y2], -1)},
            bounding_box_format="rel_xyxy")
        clipped["boxes"] = box_ops.convert_format(clipped["boxes"], "rel_xyxy",
                                                  self.bounding_box_format, height, width)
        return clipped

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
