"""MaxNumBoundingBoxes: give every image exactly `max_number` bounding boxes."""

import numpy as np
import torch

from lamina.layers.layer import Layer
from lamina import config
from lamina.registry.export import keras_export


@keras_export("layers.MaxNumBoundingBoxes")
class MaxNumBoundingBoxes(Layer):
    """Pads or truncates the bounding boxes of a batch to `max_number` per image.

    Takes `{"images": ..., "bounding_boxes": {"boxes": (batch, n, 4), "labels": (batch, n)}}`
    (or the same without the batch axis) and returns it with the first `max_number` boxes and
    labels, the missing ones filled with `fill_value`. Images (and any other entry) pass through
    unchanged, in training and in inference alike; a plain tensor input is returned as it is.

    Args:
        max_number: the number of boxes (and labels) every image ends up with.
        fill_value: the value of the added boxes' coordinates and labels (default -1).
        bounding_box_format: the boxes' format (e.g. "xyxy"); required, as in Keras, when the
            input has "bounding_boxes" (the boxes are not converted, only counted).
    """

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)
        self.bounding_box_format = bounding_box_format
        self.data_format = config.standardize_data_format(data_format)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, dict):
            return inputs
        outputs = dict(inputs)
        if "bounding_boxes" not in inputs:
            return outputs
        if not self.bounding_box_format:
            raise ValueError(
                "MaxNumBoundingBoxes: the input has a 'bounding_boxes' entry but the layer has "
                "no `bounding_box_format`. Pass one, e.g. "
                "MaxNumBoundingBoxes(max_number, bounding_box_format='xyxy')."
            )
        outputs["bounding_boxes"] = self._fit_boxes(inputs["bounding_boxes"])
        return outputs

    def _fit_boxes(self, bounding_boxes):
        extra = set(bounding_boxes) - {"boxes", "labels"}
        if extra or not {"boxes", "labels"} <= set(bounding_boxes):
            raise ValueError(
                "MaxNumBoundingBoxes: `bounding_boxes` must be a dict with exactly the keys "
                f"'boxes' and 'labels'. Received keys: {sorted(bounding_boxes)}"
            )
        boxes = _as_tensor(bounding_boxes["boxes"])
        labels = _as_tensor(bounding_boxes["labels"], device=boxes.device)
        unbatched = boxes.ndim == 2
        if unbatched:
            boxes, labels = boxes.unsqueeze(0), labels.unsqueeze(0)
        if boxes.ndim != 3 or boxes.shape[-1] != 4 or labels.shape != boxes.shape[:2]:
            raise ValueError(
                "MaxNumBoundingBoxes: expected boxes of shape (batch, num_boxes, 4) and labels "
                "of shape (batch, num_boxes) (or both without the batch axis). Received: "
                f"boxes.shape={tuple(boxes.shape)}, labels.shape={tuple(labels.shape)}"
            )
        boxes = _fit(boxes, self.max_number, self.fill_value)
        labels = _fit(labels, self.max_number, self.fill_value)
        if unbatched:
            boxes, labels = boxes.squeeze(0), labels.squeeze(0)
        return {"boxes": boxes, "labels": labels}

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            shapes = dict(input_shape)
            boxes = list(shapes["bounding_boxes"]["boxes"])
            labels = list(shapes["bounding_boxes"]["labels"])
            boxes[-2] = labels[-1] = self.max_number
            shapes["bounding_boxes"] = {"boxes": tuple(boxes), "labels": tuple(labels)}
            return shapes
        return input_shape

    def get_config(self):
        # Keras leaves `fill_value` (and a None `bounding_box_format`) out of the config; both
        # are kept here so a reloaded layer behaves the same (Keras's from_config takes them).
        return {**super().get_config(), "data_format": self.data_format,
                "bounding_box_format": self.bounding_box_format,
                "max_number": self.max_number, "fill_value": self.fill_value}


def _as_tensor(value, device=None):
    if isinstance(value, torch.Tensor):
        return value if device is None else value.to(device)
    return torch.as_tensor(np.asarray(value), device=device)


def _fit(values, max_number, fill_value):
    """Keep the first `max_number` entries of axis 1 and pad it with `fill_value` up to it."""
    values = values[:, :max_number]
    missing = max_number - values.shape[1]
    if missing > 0:
        shape = (values.shape[0], missing) + tuple(values.shape[2:])
        padding = torch.full(shape, fill_value, dtype=values.dtype, device=values.device)
        values = torch.cat([values, padding], dim=1)
    return values
