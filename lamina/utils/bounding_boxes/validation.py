"""Checking and densifying the `{"boxes": ..., "labels": ...}` dicts that image layers take.

Boxes become float32 tensors (as Keras's `densify_bounding_boxes` makes them); labels keep
their dtype. Python lists of per-image lists of boxes (possibly of different lengths) are
padded to the longest with boxes of `boxes_default_value` and labels of
`labels_default_value`.
"""

import numpy as np
import torch


def validate_bounding_boxes(bounding_boxes):
    """Raise a ValueError naming the problem unless `bounding_boxes` is a well-formed dict."""
    if not isinstance(bounding_boxes, dict) or not {"boxes", "labels"} <= set(bounding_boxes):
        received = sorted(bounding_boxes) if isinstance(bounding_boxes, dict) else \
            type(bounding_boxes).__name__
        raise ValueError(
            "Expected `bounding_boxes` to be a dict with the keys 'boxes' (shape (num_boxes, 4) "
            f"or (batch, num_boxes, 4)) and 'labels'. Received: {received}"
        )
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    if isinstance(boxes, list) and len(boxes) != len(labels):
        raise ValueError(
            "`bounding_boxes['boxes']` and `bounding_boxes['labels']` must have the same "
            f"length. Received {len(boxes)} and {len(labels)}."
        )
    if isinstance(boxes, list) and is_ragged(boxes):
        return
    boxes_rank, labels_rank = np.ndim(boxes), np.ndim(labels)
    if boxes_rank not in (2, 3) or np.shape(boxes)[-1] != 4:
        raise ValueError(
            "Expected `bounding_boxes['boxes']` of shape (num_boxes, 4) or (batch, num_boxes, "
            f"4). Received shape {tuple(np.shape(boxes))}."
        )
    if labels_rank not in (boxes_rank - 1, boxes_rank):
        raise ValueError(
            f"`bounding_boxes['boxes']` has shape {tuple(np.shape(boxes))}, so "
            f"`bounding_boxes['labels']` must have rank {boxes_rank - 1} or {boxes_rank}. "
            f"Received shape {tuple(np.shape(labels))}."
        )


def is_ragged(boxes):
    """True for a list of per-image lists of boxes of different lengths."""
    lengths = {len(b) for b in boxes if isinstance(b, (list, tuple))}
    return len(lengths) > 1


def _as_tensor(value, dtype=None, device=None):
    if isinstance(value, torch.Tensor):
        return value.to(device=device or value.device, dtype=dtype or value.dtype)
    return torch.as_tensor(np.asarray(value), dtype=dtype, device=device)


def _pad_lists(boxes, labels, max_boxes, boxes_default_value, labels_default_value):
    size = max((len(b) for b in boxes), default=0) if max_boxes is None else max_boxes
    new_boxes, new_labels = [], []
    for image_boxes, image_labels in zip(boxes, labels):
        image_boxes = [list(map(float, box)) for box in image_boxes][:size]
        image_labels = list(image_labels)[:size]
        missing = size - len(image_boxes)
        new_boxes.append(image_boxes + [[float(boxes_default_value)] * 4] * missing)
        new_labels.append(image_labels + [labels_default_value] * missing)
    return new_boxes, new_labels


def densify_bounding_boxes(bounding_boxes, is_batched=False, max_boxes=None,
                           boxes_default_value=0, labels_default_value=-1, device=None):
    """A new dict of tensors: float32 boxes and labels (on `device` when given)."""
    validate_bounding_boxes(bounding_boxes)
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    if isinstance(boxes, list) and is_batched and is_ragged(boxes):
        boxes, labels = _pad_lists(boxes, labels, max_boxes, boxes_default_value,
                                   labels_default_value)
        return {"boxes": torch.tensor(boxes, dtype=torch.float32, device=device),
                "labels": torch.tensor(labels, dtype=torch.int32, device=device)}
    result = dict(bounding_boxes)
    result["boxes"] = _as_tensor(boxes, torch.float32, device)
    result["labels"] = _as_tensor(labels, device=device)
    return result
