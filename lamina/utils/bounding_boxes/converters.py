"""Box format conversion and geometric edits. Every conversion goes through "xyxy"
(left, top, right, bottom in pixels); "rel_" formats divide by the image width / height."""

import math

import numpy as np
import torch

from lamina import config

SUPPORTED_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw",
                     "rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh")


def _tensor(x, dtype=None, keep_dtype=False):
    """A tensor of `dtype`; floatx for numpy input when `dtype` is None, unless `keep_dtype`
    (integer boxes stay integers, as Keras keeps them in clip / crop / pad)."""
    torch_dtype = config.to_torch_dtype(dtype) if dtype is not None else None
    if isinstance(x, torch.Tensor):
        return x.to(torch_dtype) if torch_dtype is not None else x
    x = np.asarray(x)
    if torch_dtype is None and not (keep_dtype and x.dtype.kind in "iu"):
        torch_dtype = config.to_torch_dtype(None)
    return torch.as_tensor(x, dtype=torch_dtype)


def _to_xyxy(boxes, fmt, height, width):
    a, b, c, d = boxes.unbind(-1)
    if fmt == "xyxy":
        return boxes
    if fmt == "yxyx":
        return torch.stack([b, a, d, c], -1)
    if fmt == "xywh":
        return torch.stack([a, b, a + c, b + d], -1)
    if fmt == "center_xywh":
        return torch.stack([a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0], -1)
    if fmt == "center_yxhw":
        return torch.stack([b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0], -1)
    scale = torch.stack([width, height, width, height]).to(boxes.dtype)  # "rel_" formats
    return _to_xyxy(boxes, fmt[len("rel_"):], height, width) * scale


def _from_xyxy(boxes, fmt, height, width):
    x1, y1, x2, y2 = boxes.unbind(-1)
    if fmt.startswith("rel_"):
        scale = torch.stack([width, height, width, height]).to(boxes.dtype)
        return _from_xyxy(boxes / scale, fmt[len("rel_"):], height, width)
    if fmt == "xyxy":
        return boxes
    if fmt == "yxyx":
        return torch.stack([y1, x1, y2, x2], -1)
    if fmt == "xywh":
        return torch.stack([x1, y1, x2 - x1, y2 - y1], -1)
    w, h = x2 - x1, y2 - y1
    cx, cy = x1 + w / 2.0, y1 + h / 2.0
    if fmt == "center_xywh":
        return torch.stack([cx, cy, w, h], -1)
    return torch.stack([cy, cx, h, w], -1)  # center_yxhw


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Boxes from format `source` to format `target` (see SUPPORTED_FORMATS, case-insensitive).

    `height` / `width` (the image size) are needed when either format is relative. A dict
    `{"boxes": ..., "labels": ...}` has its "boxes" converted in place and is returned.
    """
    if isinstance(boxes, dict):
        boxes["boxes"] = convert_format(boxes["boxes"], source, target, height, width, dtype)
        return boxes
    boxes = _tensor(boxes, dtype)
    if boxes.shape[-1] != 4:
        raise ValueError(
            f"`boxes` must have a last dimension of 4. Received: boxes.shape={tuple(boxes.shape)}"
        )
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(
            f"Invalid source or target format ({source!r}, {target!r}). "
            f"Supported formats: {SUPPORTED_FORMATS}"
        )
    if (source.startswith("rel_") or target.startswith("rel_")) and (
            height is None or width is None):
        raise ValueError(
            "convert_format() needs `height` and `width` to convert between relative and "
            f"absolute formats; got source={source!r}, target={target!r}, height={height}, "
            f"width={width}."
        )
    if source == target:
        return boxes
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
    h = None if height is None else torch.as_tensor(height, dtype=boxes.dtype)
    w = None if width is None else torch.as_tensor(width, dtype=boxes.dtype)
    return _from_xyxy(_to_xyxy(boxes, source, h, w), target, h, w)


def _clip_xyxy(boxes, height, width):
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack([x1.clamp(0, width), y1.clamp(0, height),
                        x2.clamp(0, width), y2.clamp(0, height)], -1)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clip `bounding_boxes["boxes"]` to the image; boxes left with no area get label -1.

    Only "xyxy" (needs `height` and `width`) and "rel_xyxy" (clipped to [0, 1]) are supported.
    Returns a new dict.
    """
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(
            f"clip_to_image_size() supports 'xyxy' and 'rel_xyxy' boxes; got "
            f"{bounding_box_format!r}."
        )
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    boxes = _tensor(bounding_boxes["boxes"], keep_dtype=bounding_box_format == "xyxy")
    if bounding_box_format == "xyxy":
        boxes = _clip_xyxy(boxes, height, width)
    else:
        boxes = _clip_xyxy(boxes, 1.0, 1.0)
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    labels = bounding_boxes.get("labels")
    if labels is not None:
        labels = torch.as_tensor(np.asarray(labels) if not isinstance(labels, torch.Tensor)
                                 else labels)
        area = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
        result["labels"] = torch.where(area > 0, labels, torch.full_like(labels, -1))
    return result


def _xyxy_only(name, bounding_box_format):
    if bounding_box_format != "xyxy":
        raise NotImplementedError(
            f"{name}() supports only 'xyxy' boxes; got bounding_box_format="
            f"{bounding_box_format!r}. Convert them with convert_format() first."
        )


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """Boxes in the frame of the crop starting at (`left`, `top`), clipped to its size."""
    _xyxy_only("crop", bounding_box_format)
    boxes = _tensor(boxes, keep_dtype=True)
    shifted = boxes - torch.as_tensor([left, top, left, top], dtype=boxes.dtype)
    return _clip_xyxy(shifted, height, width)


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """Boxes moved by the padding added above (`top`) and left of (`left`) the image."""
    _xyxy_only("pad", bounding_box_format)
    boxes = _tensor(boxes, keep_dtype=True)
    return boxes + torch.as_tensor([left, top, left, top], dtype=boxes.dtype)


def _inverse_affine_matrix(center_x, center_y, angle, translate_x, translate_y, scale,
                           shear_x, shear_y, height, width):
    """(B, 3, 3) matrices mapping output pixels to input pixels (the image transform's)."""
    degrees = math.pi / 180.0
    rot, sx, sy = -angle * degrees, -shear_x * degrees, -shear_y * degrees
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    a = torch.cos(rot - sy) / torch.cos(sy)
    b = a * torch.tan(sx) + torch.sin(rot)
    c = -torch.sin(rot - sy) / torch.cos(sy)
    d = torch.cos(rot) - c * torch.tan(sx)
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    zeros, ones = torch.zeros_like(a0), torch.ones_like(a0)
    return torch.stack([a0, a1, a2, b0, b1, b2, zeros, zeros, ones], -1).reshape(-1, 3, 3)


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height,
                     width, center_x=None, center_y=None, bounding_box_format="xyxy"):
    """Move `(batch, N, 4)` boxes as an image affine transform moves their pixels.

    Per-image parameters have shape `(batch,)`: `angle`, `shear_x`, `shear_y` in degrees,
    translations and the centre (default 0.5) as fractions of the image size. Each box
    becomes the axis-aligned box around its four transformed corners.
    """
    _xyxy_only("affine_transform", bounding_box_format)
    boxes = _tensor(boxes)
    params = [_tensor(p).to(boxes.dtype) for p in
              (angle, translate_x, translate_y, scale, shear_x, shear_y)]
    center_x = 0.5 if center_x is None else _tensor(center_x).to(boxes.dtype)
    center_y = 0.5 if center_y is None else _tensor(center_y).to(boxes.dtype)
    matrix = _inverse_affine_matrix(center_x, center_y, *params, height, width)
    x1, y1, x2, y2 = boxes.unbind(-1)
    corners = torch.stack([torch.stack(p, -1) for p in ((x1, y1), (x2, y1), (x2, y2), (x1, y2))],
                          -2)  # (B, N, 4 corners, 2)
    corners = torch.cat([corners, torch.ones_like(corners[..., :1])], -1)
    moved = torch.einsum("bncy,bzy->bncz", corners, matrix[:, :2, :])
    return torch.cat([moved.amin(dim=2), moved.amax(dim=2)], -1)


def _check_encoding(variance, encoding_format, argument):
    if variance is not None:
        variance = torch.as_tensor(np.asarray(variance), dtype=torch.float32)
        if variance.shape[-1] != 4:
            raise ValueError(f"`variance` must be length 4, got {variance.tolist()}")
    if encoding_format not in ("center_xywh", "center_yxhw"):
        raise ValueError(
            f"`{argument}` should be one of 'center_xywh' or 'center_yxhw', got {encoding_format}"
        )
    return variance


def _image_size(image_shape):
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format,
                         encoding_format="center_yxhw", variance=None, image_shape=None):
    """Offsets of `boxes` from `anchors`: centre shift / anchor size and log size ratio (in
    `encoding_format` order), divided by `variance` when given."""
    variance = _check_encoding(variance, encoding_format, "encoding_format")
    height, width = _image_size(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height, width)
    boxes = convert_format(boxes, box_format, encoding_format, height, width)
    anchor_size = anchors[..., 2:].clamp_min(config.epsilon())
    box_size = boxes[..., 2:].clamp_min(config.epsilon())
    deltas = torch.cat([(boxes[..., :2] - anchors[..., :2]) / anchor_size,
                        torch.log(box_size / anchor_size)], -1)
    return deltas / variance if variance is not None else deltas


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format,
                           encoded_format="center_yxhw", variance=None, image_shape=None):
    """The inverse of `encode_box_to_deltas`: boxes in `box_format`. `anchors` and
    `boxes_delta` may be dicts of levels, decoded level by level."""
    variance = _check_encoding(variance, encoded_format, "encoded_format")
    height, width = _image_size(image_shape)

    def decode(anchor, delta):
        anchor = convert_format(anchor, anchor_format, encoded_format, height, width)
        delta = _tensor(delta)
        if variance is not None:
            delta = delta * variance
        box = torch.cat([delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                         torch.exp(delta[..., 2:]) * anchor[..., 2:]], -1)
        return convert_format(box, encoded_format, box_format, height, width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)
