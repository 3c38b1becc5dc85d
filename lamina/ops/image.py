"""Image ops (Keras's `keras.ops.image`, not exported flat): colour conversions, resizing,
padding/cropping, geometric warps, filters and patch extraction, on torch tensors.

Images are `(batch, height, width, channels)` or unbatched `(height, width, channels)`;
`data_format="channels_first"` (or the global default) switches to `(batch, channels, height,
width)`. Numerics follow Keras on the JAX backend: `resize` and `scale_and_translate` use
`jax.image`'s separable kernels (half-pixel centres, optional antialiasing), and the warps
sample like `jax.scipy.ndimage.map_coordinates` (order 0 or 1; fill modes "constant",
"nearest", "wrap", "mirror", "reflect").

Intentional differences from Keras 3.15.1: `gaussian_blur` honours the default data format
(Keras treats `data_format=None` as channels_first there), and `affine_transform` ignores the
projective entries `c0, c1` of the transform (as Keras does for ordinary images).
"""

import itertools
import math

import torch
import torch.nn.functional as F

from lamina import config
from lamina.ops import image_kernels
from lamina.ops.core import to_tensor
from lamina.ops.numpy import _float
from lamina.symbolic.dispatch import keras_op

INTERPOLATIONS = ("nearest", "bilinear")
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
SCALE_AND_TRANSLATE_METHODS = {"linear": "bilinear", "bilinear": "bilinear",
                               "trilinear": "bilinear", "cubic": "bicubic",
                               "bicubic": "bicubic", "tricubic": "bicubic",
                               "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def _check_rank(images, ranks=(3, 4), what="images"):
    if images.ndim not in ranks:
        raise ValueError(
            f"Invalid {what} rank: expected rank {' or '.join(map(str, ranks))}. Received input "
            f"with shape: {what}.shape={tuple(images.shape)}"
        )


def _check_choice(value, choices, argument):
    if value not in choices:
        raise ValueError(f"Invalid value for argument `{argument}`. Expected one of "
                         f"{tuple(choices)}. Received: {argument}={value!r}")


def _channels_last(images, data_format):
    """A batched channels-last view of `images`, and the function putting results back."""
    _check_rank(images)
    return image_kernels.to_batched_channels_last(images, config.standardize_data_format(data_format))


def _channel_axis(data_format):
    return -1 if config.standardize_data_format(data_format) == "channels_last" else -3


# ---- colour --------------------------------------------------------------------------------------

@keras_op
def rgb_to_grayscale(images, data_format=None):
    """Luma `0.2989 R + 0.5870 G + 0.1140 B`, keeping a channel axis of size 1."""
    images = to_tensor(images)
    _check_rank(images)
    axis = _channel_axis(data_format)
    if images.shape[axis] not in (1, 3):
        raise ValueError("Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received "
                         f"input with shape: images.shape={tuple(images.shape)}")
    if images.shape[axis] == 1:
        return images
    x = _float(images)
    weights = torch.tensor([0.2989, 0.5870, 0.1140], dtype=x.dtype, device=x.device)
    gray = torch.tensordot(x.movedim(axis, -1), weights, dims=1).unsqueeze(axis)
    return gray.to(images.dtype)


def _split_planes(images, data_format, where):
    images = to_tensor(images)
    _check_rank(images)
    if not images.is_floating_point():
        raise ValueError(f"{where}: invalid images dtype: expected a float dtype. Received: "
                         f"images.dtype={images.dtype}")
    axis = _channel_axis(data_format)
    return images, axis, images.unbind(axis)


@keras_op
def rgb_to_hsv(images, data_format=None):
    """RGB in [0, 1] to hue, saturation, value, each in [0, 1]."""
    images, axis, _ = _split_planes(images, data_format, "rgb_to_hsv")
    eps = torch.finfo(images.dtype).eps
    images = torch.where(images.abs() < eps, 0.0, images)
    r, g, b = images.unbind(axis)
    value = torch.maximum(torch.maximum(r, g), b)
    spread = value - torch.minimum(torch.minimum(r, g), b)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * torch.where(spread > 0, spread, 1.0))
    hue = torch.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = torch.where(value == r, norm * (g - b), hue)
    hue = torch.where(spread > 0, hue, 0.0) + (hue < 0).to(hue.dtype)
    return torch.stack([hue, saturation, value], dim=axis)


@keras_op
def hsv_to_rgb(images, data_format=None):
    """Hue, saturation, value in [0, 1] back to RGB."""
    images, axis, (hue, saturation, value) = _split_planes(images, data_format, "hsv_to_rgb")
    sector = torch.remainder(hue, 1.0) * 6.0
    dr = torch.clamp((sector - 3.0).abs() - 1.0, 0.0, 1.0)
    dg = torch.clamp(2.0 - (sector - 2.0).abs(), 0.0, 1.0)
    db = torch.clamp(2.0 - (sector - 4.0).abs(), 0.0, 1.0)
    grey = 1.0 - saturation
    return torch.stack([value * (grey + saturation * d) for d in (dr, dg, db)], dim=axis)


# ---- resizing, padding, cropping -----------------------------------------------------------------

def _resize_weights(in_size, out_size, scale, translation, kernel, antialias, device):
    """(out_size, in_size) weights sampling input position `(o + 0.5 - t) / s - 0.5`."""
    inv_scale = 1.0 / scale
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    samples = ((torch.arange(out_size, dtype=torch.float32, device=device) + 0.5)
               * inv_scale - translation * inv_scale - 0.5)
    sources = torch.arange(in_size, dtype=torch.float32, device=device)
    weights = kernel((samples[:, None] - sources[None, :]).abs() / kernel_scale)
    total = weights.sum(dim=1, keepdim=True)
    usable = total.abs() > 1000 * torch.finfo(torch.float32).eps
    weights = torch.where(usable, weights / torch.where(total != 0, total, 1.0), 0.0)
    inside = (samples >= -0.5) & (samples <= in_size - 0.5)
    return weights * inside[:, None]


@keras_op
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize to `size = (height, width)` with "bilinear", "nearest", "bicubic", "lanczos3" or
    "lanczos5"; optionally crop or pad (with `fill_value`) to the target aspect ratio first."""
    _check_choice(interpolation, image_kernels.RESIZE_INTERPOLATIONS, "interpolation")
    if fill_mode != "constant":
        raise ValueError("Invalid value for argument `fill_mode`. Only 'constant' is supported. "
                         f"Received: fill_mode={fill_mode!r}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be "
                         "True.")
    if len(size) != 2:
        raise ValueError("Argument `size` must be a tuple of two elements (height, width). "
                         f"Received: size={size}")
    target_height, target_width = (int(s) for s in size)
    images = to_tensor(images)
    x, restore = _channels_last(images, data_format)
    if crop_to_aspect_ratio:
        top, left, h, w = image_kernels.aspect_crop_box(x.shape[1], x.shape[2], target_height,
                                                    target_width)
        x = x[:, top:top + h, left:left + w]
    elif pad_to_aspect_ratio:
        x = image_kernels.pad_to_aspect(x, target_height, target_width, fill_value)
    result = image_kernels.resize(_float(x), target_height, target_width, interpolation, antialias)
    if not (images.is_floating_point() or images.dtype == torch.bool):
        result = image_kernels.saturate_cast(result, images.dtype)  # Keras rounds and clips
    return restore(result)


def _paddings(given, target, size, names):
    first, second = given
    if target is not None:
        if first is None and second is None:
            raise ValueError(f"Must specify exactly two of {names}.")
        if first is None:
            first = target - second - size
        elif second is None:
            second = target - first - size
    return first or 0, second or 0


def _check_two_of_three(values, names):
    if sum(v is not None for v in values) != 2:
        raise ValueError(f"Must specify exactly two of {', '.join(names)}. Received: "
                         + ", ".join(f"{n}={v}" for n, v in zip(names, values)))


@keras_op
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Zero-pad images; give two of (top, bottom, target_height) and two of (left, right,
    target_width)."""
    images = to_tensor(images)
    _check_rank(images)
    _check_two_of_three((top_padding, bottom_padding, target_height),
                        ("top_padding", "bottom_padding", "target_height"))
    _check_two_of_three((left_padding, right_padding, target_width),
                        ("left_padding", "right_padding", "target_width"))
    h_axis, w_axis = image_kernels.spatial_axes(images.ndim, config.standardize_data_format(
        data_format))
    height, width = images.shape[h_axis], images.shape[w_axis]
    top = target_height - bottom_padding - height if top_padding is None else top_padding
    bottom = target_height - top - height if bottom_padding is None else bottom_padding
    left = target_width - right_padding - width if left_padding is None else left_padding
    right = target_width - left - width if right_padding is None else right_padding
    for name, value in (("top_padding", top), ("left_padding", left),
                        ("bottom_padding", bottom), ("right_padding", right)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")
    pad = [0, 0] * (-w_axis - 1) + [left, right, top, bottom]
    return F.pad(images, pad)


@keras_op
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crop images; give two of (top, bottom, target_height) and two of (left, right,
    target_width)."""
    images = to_tensor(images)
    _check_rank(images)
    _check_two_of_three((top_cropping, bottom_cropping, target_height),
                        ("top_cropping", "bottom_cropping", "target_height"))
    _check_two_of_three((left_cropping, right_cropping, target_width),
                        ("left_cropping", "right_cropping", "target_width"))
    h_axis, w_axis = image_kernels.spatial_axes(images.ndim, config.standardize_data_format(
        data_format))
    height, width = images.shape[h_axis], images.shape[w_axis]
    top = height - target_height - bottom_cropping if top_cropping is None else top_cropping
    if target_height is None:
        target_height = height - bottom_cropping - top
    left = width - target_width - right_cropping if left_cropping is None else left_cropping
    if target_width is None:
        target_width = width - right_cropping - left
    for name, value in (("top_cropping", top), ("target_height", target_height),
                        ("left_cropping", left), ("target_width", target_width)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")
    return images.narrow(h_axis, top, target_height).narrow(w_axis, left, target_width)


# ---- sampling ------------------------------------------------------------------------------------

def _fix_index(index, size, mode):
    if mode == "nearest":
        return index.clamp(0, size - 1)
    if mode == "wrap":
        return torch.remainder(index, size)
    if mode == "mirror":  # d c b | a b c d | c b a
        if size == 1:
            return torch.zeros_like(index)
        period = 2 * (size - 1)
        folded = torch.remainder(index, period)
        return torch.where(folded >= size, period - folded, folded)
    if mode == "reflect":  # c b a | a b c d | d c b
        folded = torch.remainder(index, 2 * size)
        return torch.where(folded >= size, 2 * size - 1 - folded, folded)
    return index.clamp(0, size - 1)  # constant: any valid index, masked afterwards


def _round_half_away(x):
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def _sample(inputs, coordinates, order, fill_mode, fill_value):
    """`inputs` sampled at `coordinates` (a list of one float tensor per axis, all of one shape),
    as `scipy.ndimage.map_coordinates` with order 0 or 1."""
    nodes = []
    for coordinate in coordinates:
        if order == 0:
            nodes.append([(_round_half_away(coordinate).long(), None)])
        else:
            lower = torch.floor(coordinate)
            upper_weight = coordinate - lower
            lower = lower.long()
            nodes.append([(lower, 1 - upper_weight), (lower + 1, upper_weight)])
    flat = inputs.reshape(-1)
    result = None
    for combination in itertools.product(*nodes):
        linear = torch.zeros_like(combination[0][0])
        valid = torch.ones_like(linear, dtype=torch.bool)
        weight = None
        for (index, w), size in zip(combination, inputs.shape):
            linear = linear * size + _fix_index(index, size, fill_mode)
            if fill_mode == "constant":
                valid = valid & (index >= 0) & (index < size)
            if w is not None:
                weight = w if weight is None else weight * w
        values = flat[linear]
        if fill_mode == "constant":
            values = torch.where(valid, values, torch.tensor(fill_value, dtype=values.dtype,
                                                             device=values.device))
        term = values if weight is None else values * weight
        result = term if result is None else result + term
    return result


@keras_op
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """Sample `inputs` at `coordinates` (shape `(inputs.ndim, ...)`) with nearest (`order=0`) or
    linear (`order=1`) interpolation; out-of-range positions follow `fill_mode`."""
    inputs = to_tensor(inputs)
    coordinates = to_tensor(coordinates, device=inputs.device)
    if coordinates.shape[0] != inputs.ndim:
        raise ValueError("First dim of `coordinates` must be the same as the rank of `inputs`. "
                         f"Received inputs with shape: {tuple(inputs.shape)} and coordinate "
                         f"leading dim of {coordinates.shape[0]}")
    if coordinates.ndim < 2:
        raise ValueError("Invalid coordinates rank: expected at least rank 2. Received input "
                         f"with shape: {tuple(coordinates.shape)}")
    _check_choice(fill_mode, FILL_MODES, "fill_mode")
    if order not in (0, 1):
        raise ValueError(f"Invalid value for argument `order`. Expected 0 or 1. Received: "
                         f"order={order}")
    compute = inputs if inputs.is_floating_point() else inputs.to(torch.float32)
    if not coordinates.is_floating_point():
        coordinates = coordinates.to(compute.dtype)
    result = _sample(compute, list(coordinates.unbind(0)), order, fill_mode, fill_value)
    if not inputs.is_floating_point():
        result = _round_half_away(result).to(inputs.dtype)
    return result


def _warp(images, source_y, source_x, order, fill_mode, fill_value):
    """Sample (batch, height, width, channels) `images` at per-pixel (batch, H, W) positions."""
    batch, _, _, channels = images.shape
    out_h, out_w = source_y.shape[1:]
    b = torch.arange(batch, device=images.device, dtype=source_y.dtype).view(batch, 1, 1, 1)
    c = torch.arange(channels, device=images.device, dtype=source_y.dtype).view(1, 1, 1, -1)
    shape = (batch, out_h, out_w, channels)
    coordinates = [b.expand(shape), source_y.unsqueeze(-1).expand(shape),
                   source_x.unsqueeze(-1).expand(shape), c.expand(shape)]
    return _sample(images, coordinates, order, fill_mode, fill_value)


@keras_op
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Warp images by `transform = [a0, a1, a2, b0, b1, b2, c0, c1]` (one, or one per image):
    output pixel (x, y) takes the input at `(a0 x + a1 y + a2, b0 x + b1 y + b2)`."""
    _check_choice(interpolation, INTERPOLATIONS, "interpolation")
    _check_choice(fill_mode, FILL_MODES, "fill_mode")
    images = to_tensor(images)
    x, restore = _channels_last(images, data_format)
    x = _float(x)
    transform = to_tensor(transform, device=x.device)
    if transform.ndim not in (1, 2):
        raise ValueError("Invalid transform rank: expected rank 1 (single transform) or rank 2 "
                         f"(batch of transforms). Received input with shape: "
                         f"transform.shape={tuple(transform.shape)}")
    transform = transform.to(x.dtype).reshape(-1, 8).expand(x.shape[0], 8)
    rows = torch.arange(x.shape[1], dtype=x.dtype, device=x.device).view(1, -1, 1)
    cols = torch.arange(x.shape[2], dtype=x.dtype, device=x.device).view(1, 1, -1)
    a0, a1, a2, b0, b1, b2 = (transform[:, i].view(-1, 1, 1) for i in range(6))
    source_x = a0 * cols + a1 * rows + a2
    source_y = b0 * cols + b1 * rows + b2
    order = 0 if interpolation == "nearest" else 1
    return restore(_warp(x, source_y, source_x, order, fill_mode, fill_value))


def _homographies(start_points, end_points):
    """(batch, 8) projective transforms mapping `end_points` (output) to `start_points`."""
    sx, sy = start_points[..., 0], start_points[..., 1]
    ex, ey = end_points[..., 0], end_points[..., 1]
    zeros, ones = torch.zeros_like(ex), torch.ones_like(ex)
    x_rows = torch.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], dim=-1)
    y_rows = torch.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], dim=-1)
    matrix = torch.cat([x_rows, y_rows], dim=1)
    target = torch.cat([sx, sy], dim=-1).unsqueeze(-1)
    return torch.linalg.solve(matrix, target).squeeze(-1)


@keras_op
def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warp images so that the four `start_points` (x, y) land on the four `end_points`."""
    _check_choice(interpolation, INTERPOLATIONS, "interpolation")
    images = to_tensor(images)
    x, restore = _channels_last(images, data_format)
    x = _float(x)
    start = to_tensor(start_points, dtype=torch.float64, device=x.device)
    end = to_tensor(end_points, dtype=torch.float64, device=x.device)
    for name, points in (("start_points", start), ("end_points", end)):
        if points.shape[-2:] != (4, 2) or points.ndim not in (2, 3):
            raise ValueError(f"Invalid {name} shape: expected (4, 2) for a single image or "
                             f"(N, 4, 2) for a batch. Received shape: {tuple(points.shape)}")
    if start.shape != end.shape:
        raise ValueError("start_points and end_points must have the same shape. Received "
                         f"start_points.shape={tuple(start.shape)}, "
                         f"end_points.shape={tuple(end.shape)}")
    h = _homographies(start.reshape(-1, 4, 2), end.reshape(-1, 4, 2)).to(torch.float32)
    h = h.expand(x.shape[0], 8)
    rows = torch.arange(x.shape[1], dtype=torch.float32, device=x.device).view(1, -1, 1)
    cols = torch.arange(x.shape[2], dtype=torch.float32, device=x.device).view(1, 1, -1)
    p = [h[:, i].view(-1, 1, 1) for i in range(8)]
    denominator = p[6] * cols + p[7] * rows + 1.0
    source_x = (p[0] * cols + p[1] * rows + p[2]) / denominator
    source_y = (p[3] * cols + p[4] * rows + p[5]) / denominator
    order = 0 if interpolation == "nearest" else 1
    result = _warp(x, source_y.to(x.dtype), source_x.to(x.dtype), order, "constant", fill_value)
    return restore(result)


# ---- filters -------------------------------------------------------------------------------------

def _gaussian_1d(size, sigma, dtype, device):
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def _depthwise_same(x, kernel):
    """Zero-padded "same" per-channel cross-correlation of channels-first `x` with a 2D kernel."""
    kh, kw = kernel.shape
    x = F.pad(x, [(kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2])
    channels = x.shape[1]
    weight = kernel.to(x.dtype).expand(channels, 1, kh, kw)
    return F.conv2d(x, weight, groups=channels)


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


@keras_op
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur with a normalised Gaussian kernel (zero padding, same size output)."""
    images = to_tensor(images)
    x, restore = _channels_last(images, data_format)
    x = _float(x)
    kernel_size, sigma = _pair(kernel_size), _pair(sigma)
    # As Keras: the kernel's rows use kernel_size[1]/sigma[1] and its columns [0].
    rows = _gaussian_1d(int(kernel_size[1]), float(sigma[1]), x.dtype, x.device)
    cols = _gaussian_1d(int(kernel_size[0]), float(sigma[0]), x.dtype, x.device)
    blurred = _depthwise_same(x.permute(0, 3, 1, 2), torch.outer(rows, cols))
    return restore(blurred.permute(0, 2, 3, 1))


@keras_op
def sobel_edges(images, data_format=None):
    """Sobel gradients: a new last axis of size 2 holding (d/dy, d/dx) for every channel."""
    images = to_tensor(images)
    x, restore = _channels_last(images, data_format)
    x = _float(x).permute(0, 3, 1, 2)
    sobel_x = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], device=x.device)
    dy = _depthwise_same(x, sobel_x.T).permute(0, 2, 3, 1)
    dx = _depthwise_same(x, sobel_x).permute(0, 2, 3, 1)
    return torch.stack([restore(dy), restore(dx)], dim=-1)


@keras_op
def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Displace every pixel by Gaussian-smoothed random noise scaled by `alpha`."""
    from lamina import random as lamina_random

    _check_choice(interpolation, INTERPOLATIONS, "interpolation")
    _check_choice(fill_mode, FILL_MODES, "fill_mode")
    images = to_tensor(images)
    x, restore = _channels_last(images, data_format)
    original = x.dtype
    x = _float(x)
    batch, height, width, _ = x.shape
    size = int(6 * sigma) | 1
    noise = lamina_random.normal((2, batch, height, width, 1), seed=seed)
    noise = to_tensor(noise, device=x.device).to(x.dtype) * sigma
    smooth = [gaussian_blur(n, (size, size), (sigma, sigma), data_format="channels_last")[..., 0]
              for n in noise]
    rows = torch.arange(height, dtype=x.dtype, device=x.device).view(1, -1, 1)
    cols = torch.arange(width, dtype=x.dtype, device=x.device).view(1, 1, -1)
    order = 0 if interpolation == "nearest" else 1
    result = _warp(x, rows + alpha * smooth[1], cols + alpha * smooth[0], order, fill_mode,
                   fill_value)
    return restore(result.to(original) if original.is_floating_point else result)


@keras_op
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resample `spatial_dims` to `output_shape`: output position `o` reads the input at
    `(o + 0.5 - translation) / scale - 0.5` (as `jax.image.scale_and_translate`)."""
    _check_choice(method, tuple(SCALE_AND_TRANSLATE_METHODS), "method")
    images = _float(images)
    scale = to_tensor(scale).reshape(-1).tolist()
    translation = to_tensor(translation).reshape(-1).tolist()
    kernel = image_kernels._KERNELS[SCALE_AND_TRANSLATE_METHODS[method]]
    result = images
    for axis, s, t in zip(spatial_dims, scale, translation):
        weights = _resize_weights(images.shape[axis], int(output_shape[axis]), s, t, kernel,
                                  antialias, images.device)
        result = torch.matmul(result.movedim(axis, -1), weights.to(result.dtype).T)
        result = result.movedim(-1, axis)
    return result


@keras_op
def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """Structural similarity per image (Gaussian window, "valid" filtering), averaged over the
    window positions and the channels."""
    image1, image2 = to_tensor(image1), to_tensor(image2)
    original = image1.dtype
    a, _ = _channels_last(image1, data_format)
    b, _ = _channels_last(image2, data_format)
    a, b = _float(a), _float(b).to(_float(a).dtype)
    a, b = a.permute(0, 3, 1, 2), b.permute(0, 3, 1, 2)
    g = _gaussian_1d(filter_size, filter_sigma, a.dtype, a.device)
    window = torch.outer(g, g).expand(a.shape[1], 1, filter_size, filter_size)

    def blur(t):
        return F.conv2d(t, window, groups=t.shape[1])

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = blur(a), blur(b)
    var1 = blur(a * a) - mu1 * mu1
    var2 = blur(b * b) - mu2 * mu2
    cov = blur(a * b) - mu1 * mu2
    ssim_map = ((2 * mu1 * mu2 + c1) * (2 * cov + c2)
                / ((mu1 * mu1 + mu2 * mu2 + c1) * (var1 + var2 + c2)))
    result = ssim_map.mean(dim=(1, 2, 3))
    if image1.ndim == 3:
        result = result[0]
    return result.to(original)


# ---- patches -------------------------------------------------------------------------------------

def _patches(images, size, strides, dilation_rate, padding, data_format, rank):
    from lamina.ops import nn

    images = _float(images)
    data_format = config.standardize_data_format(data_format)
    size = (size,) * rank if isinstance(size, int) else tuple(size)
    channels = images.shape[-1] if data_format == "channels_last" else images.shape[-rank - 1]
    out_dim = math.prod(size) * channels
    kernel = torch.eye(out_dim, dtype=images.dtype, device=images.device)
    kernel = kernel.reshape(*size, channels, out_dim)
    unbatched = images.ndim == rank + 1
    if unbatched:
        images = images.unsqueeze(0)
    patches = nn.conv(images, kernel, strides=strides or size, padding=padding,
                      data_format=data_format, dilation_rate=dilation_rate)
    return patches[0] if unbatched else patches


@keras_op
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """Patches of `size` (int or (h, w); a 3-tuple extracts 3D patches), flattened
    (row, column, channel) into the channel axis; `strides` default to `size`."""
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    if not isinstance(size, int) and len(size) != 2:
        raise TypeError("Invalid `size` argument. Expected an int or a tuple of length 2 or 3. "
                        f"Received: size={size}")
    images = to_tensor(images)
    _check_rank(images)
    return _patches(images, size, strides, dilation_rate, padding, data_format, 2)


@keras_op
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """3D patches of `size` (int or (d, h, w)) from `(batch, depth, height, width, channels)`
    volumes (batch optional), flattened into the channel axis."""
    volumes = to_tensor(volumes)
    _check_rank(volumes, (4, 5), "volumes")
    if not isinstance(size, int) and len(size) != 3:
        raise TypeError("Invalid `size` argument. Expected an int or a tuple of length 3. "
                        f"Received: size={size}")
    if isinstance(strides, (tuple, list)) and len(strides) != 3:
        raise ValueError(f"Invalid `strides` argument. Got: {strides}")
    return _patches(volumes, size, strides, dilation_rate, padding, data_format, 3)


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__
           and not name.startswith("_")]
