"""`draw_bounding_boxes`: outline boxes (and optionally write their class names) on images."""

import numpy as np

from lamina.registry.object_registry import keras_export
from lamina.visualization import _arrays, _rectangles, _text


@keras_export("visualization.draw_bounding_boxes", package=False)
def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None,
                        color=(128, 128, 128), line_thickness=2, text_thickness=1,
                        font_scale=1.0, data_format=None):
    """Draw bounding boxes on a batch of images and return the annotated copies.

    Boxes are drawn pixel for pixel as Keras draws them (OpenCV's `cv2.rectangle`), without
    needing OpenCV. Labels (`class_mapping`) are written with OpenCV when it is installed
    (Keras's font) and with Pillow otherwise.

    Args:
        images: A batch of images, numpy array or torch tensor, `(batch, height, width,
            channels)` (or channels first, see `data_format`). Float images whose maximum is
            at most 1 are read as [0, 1]; other floats as [0, 255].
        bounding_boxes: A dict with `"boxes"` `(batch, num_boxes, 4)` in
            `bounding_box_format`, `"labels"` `(batch, num_boxes)` (boxes labelled -1 are
            padding and are skipped) and optionally `"confidences"` `(batch, num_boxes)`,
            written after the class name.
        bounding_box_format: The boxes' format, e.g. `"xyxy"`, `"yxyx"`, `"xywh"`,
            `"center_xywh"`, `"rel_xyxy"` (see `lamina.utils.bounding_boxes.convert_format`).
        class_mapping: Optional dict from class id to the name written above its boxes.
        color: RGB color of boxes and text. Defaults to `(128, 128, 128)`.
        line_thickness: Thickness of the box outlines in pixels (OpenCV's convention: 2
            draws 3-pixel lines; negative fills the box). Defaults to 2.
        text_thickness: Thickness of the label strokes. Defaults to 1.
        font_scale: Size of the label font. Defaults to 1.0.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `lamina.config.image_data_format()`.

    Returns:
        A uint8 numpy array with the input's shape: the images with the boxes drawn.
    """
    images = _arrays.batched_images(images, "draw_bounding_boxes")
    if not isinstance(bounding_boxes, dict):
        raise TypeError(
            "`bounding_boxes` must be a dict with keys 'boxes' and 'labels' (and optionally "
            f"'confidences'). Received: {type(bounding_boxes).__name__}"
        )
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(
            "`bounding_boxes` must contain the keys 'boxes' and 'labels'. Received keys: "
            f"{sorted(bounding_boxes)}"
        )
    images, transposed = _arrays.channels_last(images, data_format)
    canvas = _as_uint8(images)
    boxes = _as_xyxy(bounding_boxes["boxes"], bounding_box_format, *canvas.shape[1:3])
    labels = _arrays.to_numpy(bounding_boxes["labels"]).astype("int32")
    confidences = bounding_boxes.get("confidences")
    confidences = None if confidences is None else _arrays.to_numpy(confidences)
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    for i, image in enumerate(canvas):
        for j, (x1, y1, x2, y2) in enumerate(boxes[i].tolist()):
            label = int(labels[i, j])
            if label == -1:
                continue
            _rectangles.draw_rectangle(image, (x1, y1), (x2, y2), color, line_thickness)
            if label in class_mapping:
                text = str(class_mapping[label])
                if confidences is not None:
                    text = f"{text} | {float(confidences[i, j]):.2f}"
                _text.draw_label(image, text, x1, y1, color, font_scale, text_thickness)
    return np.transpose(canvas, (0, 3, 1, 2)) if transposed else canvas


def _as_uint8(images):
    """A uint8 copy to draw on, read as Keras reads images: floats up to 1 are [0, 1]."""
    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    return np.ascontiguousarray(images.astype("uint8"))


def _as_xyxy(boxes, bounding_box_format, height, width):
    """Integer pixel corners (x1, y1, x2, y2), truncated toward zero as Keras does."""
    from lamina.utils import bounding_boxes

    boxes = bounding_boxes.convert_format(_arrays.to_numpy(boxes).astype("float32"),
                                          bounding_box_format, "xyxy", height=height,
                                          width=width)
    return _arrays.to_numpy(boxes).astype("int32")
