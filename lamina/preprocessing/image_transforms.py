"""The pixel transforms of Keras 2's ImageDataGenerator (lamina/preprocessing/
image_data_generator.py): channel and brightness shifts, and the affine warp (rotation,
shifts, shear, zoom) computed with NumPy the way `scipy.ndimage.affine_transform(order=1)`,
which Keras 2 called, computes it, edge rules of each `fill_mode` included; scipy is not needed.
"""

import numpy as np


# ---- pixel transforms ------------------------------------------------------------------------

def apply_channel_shift(x, intensity):
    """Add `intensity` to every value, clipped to the image's own [min, max] (as Keras 2)."""
    return np.clip(x + intensity, np.min(x), np.max(x))


def apply_brightness_shift(x, brightness, channel_axis=2):
    """Scale the brightness by the factor `brightness`, as Keras 2 did through Pillow's
    `ImageEnhance.Brightness`, computed here with NumPy.

    Keras 2 made an 8-bit image of `x` (values cut to integers; an image with values outside
    [0, 255] stretched to [0, 255] first, and stretched back after), scaled it, and read it
    back; so the result holds whole numbers (in the stretched scale). Pillow multiplies in
    single precision and truncates, clipping to [0, 255]; an alpha channel is kept."""
    x = np.asarray(x, dtype=np.float32)
    low, high = np.min(x), np.max(x)
    stretch = low < 0 or high > 255
    pixels = x
    if stretch:
        pixels = x - low
        peak = np.max(pixels)
        if peak != 0:
            pixels = pixels / peak
        pixels = pixels * 255
    pixels = pixels.astype(np.uint8).astype(np.float32)
    scaled = np.trunc(np.clip(np.float32(brightness) * pixels, 0, 255))
    if x.shape[channel_axis] == 4:  # Pillow leaves the alpha channel as it is
        alpha = np.take(pixels, [3], axis=channel_axis)
        scaled = np.concatenate([np.take(scaled, [0, 1, 2], axis=channel_axis), alpha],
                                axis=channel_axis)
    if stretch:
        scaled = scaled / 255 * (high - low) + low
    return scaled.astype(np.float32)


# ---- the affine warp -------------------------------------------------------------------------

def affine_matrix(theta=0, tx=0, ty=0, shear=0, zx=1, zy=1):
    """Keras 2's 3x3 transform (rotation, then shift, shear and zoom), or None for identity.
    It maps output coordinates to input coordinates; angles are in degrees."""
    steps = []
    if theta != 0:
        a = np.deg2rad(theta)
        steps.append([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    if tx != 0 or ty != 0:
        steps.append([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    if shear != 0:
        s = np.deg2rad(shear)
        steps.append([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    if zx != 1 or zy != 1:
        steps.append([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    if not steps:
        return None
    matrix = np.array(steps[0], dtype=np.float64)
    for step in steps[1:]:
        matrix = matrix @ np.array(step, dtype=np.float64)
    return matrix


def _about_centre(matrix, height, width):
    """`matrix` applied about the image centre instead of the corner."""
    cx, cy = height / 2 - 0.5, width / 2 - 0.5
    to_centre = np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1]], dtype=np.float64)
    from_centre = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]], dtype=np.float64)
    return to_centre @ matrix @ from_centre


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=0,
                           col_axis=1, channel_axis=2, fill_mode="nearest", cval=0.0,
                           order=1):
    """One image `x` (rank 3) warped by Keras 2's affine transform."""
    if sorted((row_axis, col_axis, channel_axis)) != [0, 1, 2] or channel_axis not in (0, 2):
        raise ValueError("row_axis, col_axis and channel_axis must be 0, 1 and 2 in some order, "
                         "with the channels first (0) or last (2). Received: "
                         f"{(row_axis, col_axis, channel_axis)}.")
    matrix = affine_matrix(theta, tx, ty, shear, zx, zy)
    if matrix is None:
        return x
    matrix = _about_centre(matrix, x.shape[row_axis], x.shape[col_axis])
    # Keras 2 builds the matrix for (x, y) points and then swaps its two axes to index
    # (row, column); both layouts have the columns after the rows, so the swap always happens.
    # The centre offsets are swapped along, so a non-square image turns about (width/2 - 0.5,
    # height/2 - 0.5) in (row, column) terms, and "tx" moves the columns. We keep that.
    if col_axis > row_axis:
        matrix = matrix[[1, 0, 2]][:, [1, 0, 2]]
    channels = np.moveaxis(x, channel_axis, 0)
    warped = _warp(channels, matrix[:2, :2], matrix[:2, 2], fill_mode, float(cval), order)
    return np.moveaxis(warped.astype(x.dtype, copy=False), 0, channel_axis)


def _warp(channels, linear, offset, fill_mode, cval, order):
    """Sample `channels` (C, H, W) at `linear @ (row, col) + offset` for each output pixel,
    as scipy.ndimage.affine_transform does for spline order 0 or 1."""
    _, height, width = channels.shape
    rows, cols = np.meshgrid(np.arange(height, dtype=np.float64),
                             np.arange(width, dtype=np.float64), indexing="ij")
    # scipy adds the terms in this order; keeping it keeps the rounding (and so which points
    # fall just outside the image) the same.
    source_rows = offset[0] + rows * linear[0, 0] + cols * linear[0, 1]
    source_cols = offset[1] + rows * linear[1, 0] + cols * linear[1, 1]
    row_taps, row_weights, row_out = _taps(source_rows, height, fill_mode, order)
    col_taps, col_weights, col_out = _taps(source_cols, width, fill_mode, order)
    data = channels.astype(np.float64)
    total = np.zeros(channels.shape, dtype=np.float64)
    for r_index, r_weight in zip(row_taps, row_weights):
        for c_index, c_weight in zip(col_taps, col_weights):
            total += data[:, r_index, c_index] * r_weight * c_weight
    outside = row_out | col_out
    total[:, outside] = cval
    return total


def _taps(coords, length, fill_mode, order):
    """Along one axis: the input indices each output point reads, their weights, and where
    the point is outside the image (fill_mode "constant" only)."""
    if fill_mode != "nearest":
        coords = _fold_coordinate(coords, length, fill_mode)
    # Only "constant" folds a point outside the image to -1: such a point gets `cval`.
    outside = coords <= -1.0 if fill_mode == "constant" else np.zeros(coords.shape, bool)
    safe = np.where(outside, 0.0, coords)
    # Neighbours past the edge are mirrored, except for "nearest" and "reflect", which repeat
    # the edge pixel (scipy's spline boundary for those modes).
    neighbour_mode = fill_mode if fill_mode in ("nearest", "reflect") else "mirror"
    if order == 0:
        start = np.floor(safe + 0.5)
        return [_fold_index(start, length, neighbour_mode)], [1.0], outside
    start = np.floor(safe)
    fraction = safe - start
    taps = [_fold_index(start, length, neighbour_mode),
            _fold_index(start + 1, length, neighbour_mode)]
    return taps, [1.0 - fraction, fraction], outside


def _fold_coordinate(c, length, mode):
    """A coordinate outside [0, length - 1] brought back inside as scipy does for `mode`
    (scipy's 'wrap' repeats with period length - 1; 'constant' returns -1 for outside)."""
    c = np.array(c, dtype=np.float64)
    if length <= 1:
        return np.where((c < 0) | (c > length - 1), -1.0 if mode == "constant" else 0.0, c)
    below, above = c < 0, c > length - 1
    if mode == "constant":
        return np.where(below | above, -1.0, c)
    if mode == "reflect":
        period = 2 * length
        low = np.where(c < -period, period * np.trunc(-c / period) + c, c)
        low = np.where(low < -length, low + period, np.where(low > -1e-15, 1e-15, -low) - 1)
        high = c - period * np.trunc(c / period)
        high = np.where(high >= length, period - high - 1, high)
    elif mode == "wrap":
        period = length - 1
        low = c + period * (np.trunc(-c / period) + 1)
        high = c - period * np.trunc(c / period)
    else:  # mirror
        low, high = _mirror(c, length)
    return np.where(below, low, np.where(above, high, c))


def _mirror(c, length):
    period = 2 * length - 2
    low = period * np.trunc(-c / period) + c
    low = np.where(low <= 1 - length, low + period, -low)
    high = c - period * np.trunc(c / period)
    high = np.where(high >= length, period - high, high)
    return low, high


def _fold_index(index, length, mode):
    """Integer neighbour indices folded into [0, length - 1]."""
    if length <= 1:
        return np.zeros(index.shape, dtype=np.intp)
    if mode == "nearest":
        return np.clip(index, 0, length - 1).astype(np.intp)
    return _fold_coordinate(index, length, mode).astype(np.intp)
