"""Pairwise IoU and element-wise complete IoU (CIoU) of boxes."""

import math

import torch

from lamina import config
from lamina.utils.bounding_boxes.converters import convert_format


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1,
                image_shape=None):
    """IoU of every box of `boxes1` (`(N, 4)` / `(B, N, 4)`) with every box of `boxes2`
    (`(M, 4)` / `(B, M, 4)`): `(N, M)` or `(B, N, M)`. With `use_masking`, pairs where either
    box has all coordinates negative (padding) get `mask_val`."""
    rank1, rank2 = len(boxes1.shape), len(boxes2.shape)
    for name, rank in (("boxes1", rank1), ("boxes2", rank2)):
        if rank not in (2, 3):
            raise ValueError(
                f"compute_iou() expects {name} of rank 2 (unbatched) or 3 (batched). "
                f"Received len(boxes1.shape)={rank1}, len(boxes2.shape)={rank2}."
            )
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "Relative bounding box formats (e.g. `rel_yxyx`) need the `image_shape` argument. "
            f"Received `image_shape`: {image_shape}"
        )
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height, width)
    a, b = boxes1.unsqueeze(-2), boxes2.unsqueeze(-3)  # (.., N, 1, 4) and (.., 1, M, 4)
    inter_w = (torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0])).clamp_min(0)
    inter_h = (torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1])).clamp_min(0)
    inter = inter_w * inter_h
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    iou = inter / (area_a + area_b - inter + config.epsilon())
    if not use_masking:
        return iou
    background = (boxes1.amax(-1) < 0).unsqueeze(-1) | (boxes2.amax(-1) < 0).unsqueeze(-2)
    return torch.where(background, torch.full_like(iou, mask_val), iou)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """Complete IoU of matching boxes (shapes broadcast, last axis 4): IoU minus the squared
    centre distance over the enclosing box's squared diagonal, minus an aspect-ratio term."""
    if "rel" in bounding_box_format:
        raise ValueError(
            "compute_ciou() does not take relative bounding box formats (e.g. `rel_yxyx`); "
            f"got {bounding_box_format!r}."
        )
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    eps = config.epsilon()
    x1a, y1a, x2a, y2a = convert_format(boxes1, bounding_box_format, "xyxy", height, width).unbind(-1)
    x1b, y1b, x2b, y2b = convert_format(boxes2, bounding_box_format, "xyxy", height, width).unbind(-1)
    wa, ha = x2a - x1a, y2a - y1a + eps
    wb, hb = x2b - x1b, y2b - y1b + eps
    inter = ((torch.minimum(x2a, x2b) - torch.maximum(x1a, x1b)).clamp_min(0)
             * (torch.minimum(y2a, y2b) - torch.maximum(y1a, y1b)).clamp_min(0))
    union = wa * ha + wb * hb - inter + eps
    iou = inter / (union + eps)
    diagonal = ((torch.maximum(x2a, x2b) - torch.minimum(x1a, x1b)) ** 2
                + (torch.maximum(y2a, y2b) - torch.minimum(y1a, y1b)) ** 2 + eps)
    centres = ((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2
    v = 4 / math.pi ** 2 * (torch.atan(wb / hb) - torch.atan(wa / ha)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return iou - (centres / diagonal + v * alpha)
