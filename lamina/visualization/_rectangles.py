"""Rectangle outlines rasterized as OpenCV's `cv2.rectangle` draws them, without OpenCV.

OpenCV draws each side as a thick line with round caps: a pixel belongs to a side when its
distance to the side's segment is at most r, with r = ceil(thickness / 2) for thickness >= 2
(so thickness 2 gives 3-pixel lines, as in OpenCV) and r = 0 (the segment itself) for
thickness 1. A negative thickness fills the rectangle. Checked pixel for pixel against
OpenCV's output recorded through Keras (tests/visualization).
"""

import math

import numpy as np


def draw_rectangle(image, corner1, corner2, color, thickness):
    """Draw on `image` (height, width, channels), in place, like cv2.rectangle."""
    (x1, y1), (x2, y2) = corner1, corner2
    left, right = min(x1, x2), max(x1, x2)
    top, bottom = min(y1, y2), max(y1, y2)
    radius = 0 if thickness <= 1 else math.ceil(thickness / 2)
    # Only the window around the rectangle can change: compute distances there.
    row0, col0 = max(top - radius, 0), max(left - radius, 0)
    row1 = min(bottom + radius + 1, image.shape[0])
    col1 = min(right + radius + 1, image.shape[1])
    if row0 >= row1 or col0 >= col1:
        return  # entirely outside the image
    rows = np.arange(row0, row1)[:, None]
    cols = np.arange(col0, col1)[None, :]
    if thickness < 0:
        mask = (rows >= top) & (rows <= bottom) & (cols >= left) & (cols <= right)
    else:
        mask = np.zeros((row1 - row0, col1 - col0), dtype=bool)
        for xa, ya, xb, yb in ((left, top, right, top), (right, top, right, bottom),
                               (left, bottom, right, bottom), (left, top, left, bottom)):
            dx = np.maximum(np.maximum(xa - cols, cols - xb), 0)
            dy = np.maximum(np.maximum(ya - rows, rows - yb), 0)
            mask |= dx * dx + dy * dy <= radius * radius
    image[row0:row1, col0:col1][mask] = _pixel(color, image)


def _pixel(color, image):
    """`color` fitted to the image's channels as OpenCV does: a 3-value color on a 4-channel
    image leaves the 4th at 0; a gray image takes the first value."""
    values = list(color)[:image.shape[-1]]
    values += [0] * (image.shape[-1] - len(values))
    return np.asarray(values, dtype=image.dtype)
