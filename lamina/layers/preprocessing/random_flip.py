"""RandomFlip: mirror images left-right and/or top-bottom at random."""

import torch

from lamina.layers.preprocessing.random_image_layer import RandomImageLayer
from lamina.utils.bounding_boxes import converters as box_ops
from lamina.registry.export import keras_export

MODES = ("horizontal", "vertical", "horizontal_and_vertical")


@keras_export("layers.RandomFlip")
class RandomFlip(RandomImageLayer):
    """Flips each image with probability 1/2 during training.

    Args:
        mode: "horizontal" (left-right), "vertical" (top-bottom) or "horizontal_and_vertical"
            (default; one coin per image decides both flips, as in Keras).
        seed: int for reproducible flips.
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"); needed
            when they have "bounding_boxes". Boxes and "segmentation_masks" are flipped with
            the images.
    """

    _boxes_mode = "transform"
    _masks_mode = "transform"
    _uses_transformations = True

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in MODES:
            raise ValueError(
                f"RandomFlip: unknown `mode` {mode!r}. Expected one of {MODES}."
            )
        self.mode = mode

    def _random_transformation(self, images, input_shape):
        flips = self.uniform((images.shape[0], 1, 1, 1), 0.0, 1.0, images) <= 0.5
        return {"flips": flips if len(input_shape) == 4 else flips[0],
                "input_shape": input_shape}

    def _transform_batch(self, images, transformation, interpolation=None):
        flips = torch.as_tensor(transformation["flips"], device=images.device).reshape(-1, 1, 1,
                                                                                      1)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            images = torch.where(flips, images.flip(2), images)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            images = torch.where(flips, images.flip(1), images)
        return images

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._image_size(transformation["input_shape"])
        boxes = box_ops.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                       "rel_xyxy", height, width)
        flips = torch.as_tensor(transformation["flips"], device=boxes.device).reshape(-1, 1, 1)
        x1, y1, x2, y2 = boxes.unbind(-1)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x1, x2 = (torch.where(flips[..., 0], 1 - x2, x1),
                      torch.where(flips[..., 0], 1 - x1, x2))
        if self.mode in ("vertical", "horizontal_and_vertical"):
            y1, y2 = (torch.where(flips[..., 0], 1 - y2, y1),
                      torch.where(flips[..., 0], 1 - y1, y2))
        # Keras clips these relative boxes as if they were pixels (to [0, width] and
        # [0, height]): only negative coordinates change; the labels of boxes left without
        # area become -1.
        clipped = box_ops.clip_to_image_size({**bounding_boxes,
                                              "boxes": torch.stack([x1, y1, x2, y2], -1)},
                                             height, width, "xyxy")
        clipped["boxes"] = box_ops.convert_format(clipped["boxes"], "rel_xyxy",
                                                  self.bounding_box_format, height, width)
        return clipped

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
