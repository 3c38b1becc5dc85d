"""Box labels. With OpenCV installed they are drawn exactly as Keras draws them (OpenCV's
Hershey font); otherwise with Pillow's default font at a comparable size. Boxes themselves
never need either (see _rectangles.py)."""

import numpy as np


def draw_label(image, text, x, y, color, font_scale, thickness):
    """Write `text` on `image` (height, width, channels; uint8), in place, above the box
    corner (x, y), or inside the box when there is no room above it."""
    org = _text_origin(x, y, font_scale, thickness)
    try:
        import cv2
    except ImportError:
        cv2 = None
    if cv2 is not None:
        cv2.putText(img=image, text=text, org=org, fontFace=cv2.FONT_HERSHEY_SIMPLEX,
                    fontScale=font_scale, color=tuple(int(c) for c in color),
                    thickness=thickness)
        return
    _draw_with_pillow(image, text, org, color, font_scale)


def _text_origin(x, y, font_scale, thickness):
    """The text's baseline start, where Keras puts it: 8 pixels above the box when two text
    heights fit above, else a little inside the box's top-left corner."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def _draw_with_pillow(image, text, org, color, font_scale):
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as error:
        raise ImportError(
            "Drawing box labels (`class_mapping`) needs OpenCV or Pillow: install one with "
            "`pip install opencv-python-headless` (the same font as Keras) or `pip install "
            "pillow`, or pass class_mapping=None to draw the boxes only."
        ) from error
    channels = image.shape[-1]
    if channels not in (1, 3, 4):
        raise ValueError(
            f"Box labels can be drawn on images with 1, 3 or 4 channels; these have {channels}."
        )
    # uint8 arrays of shape (h, w), (h, w, 3), (h, w, 4) open as L, RGB, RGBA pictures
    picture = Image.fromarray(np.ascontiguousarray(image[..., 0] if channels == 1 else image))
    fill = tuple(int(c) for c in (list(color) + [255] * 4)[:channels])
    font = ImageFont.load_default(size=max(8, round(26 * font_scale)))  # ~ Hershey width
    ImageDraw.Draw(picture).text(org, text, fill=fill[0] if channels == 1 else fill,
                                 font=font, anchor="ls")
    image[...] = np.asarray(picture).reshape(image.shape)
