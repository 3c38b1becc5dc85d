"""Shared pieces of the Keras 3 image augmentation layers added on top of RandomImageLayer.

These layers have in common Keras's factor and value-range argument parsing and helpers with
Keras's numerics (value-range mapping, RGB <-> HSV, grayscale weights, "same" depthwise
filtering, projective resampling). Images reach `augment` as (batch, height, width,
channels) floats.
"""

import torch
import torch.nn.functional as F

from lamina.ops import image_kernels
from lamina.layers.preprocessing.random_image_layer import RandomImageLayer

GRAYSCALE_WEIGHTS = (0.2989, 0.5870, 0.1140)  # the weights of Keras's rgb_to_grayscale


class AugmentationLayer(RandomImageLayer):
    """RandomImageLayer for the Keras 3 augmentation layers (the helpers below are theirs)."""


# ------------------------------------------------------------------- argument parsing
def keras_factor(factor, bounds, layer_name, name="factor"):
    """Keras's shared factor parsing: f -> (max(-|f|, low), |f|); a pair is sorted."""
    message = (
        f"{layer_name}: the `{name}` argument should be a number (or a list of two numbers) "
        f"in the range [{bounds[0]}, {bounds[1]}]. Received: {name}={factor}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(message)
        factor = abs(factor)
        return (max(-factor, bounds[0]), factor)
    raise ValueError(message)


def unit_factor(factor, layer_name, name, symmetric=False):
    """A number or pair in [0, 1]: f -> (0, f) (or (-f, f) when `symmetric`)."""
    message = (
        f"{layer_name}: the `{name}` argument should be a number (or a list of two numbers) "
        f"in the range [0, 1]. Received: {name}={factor}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(0 <= f <= 1 for f in factor):
            raise ValueError(message)
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool) and 0 <= factor <= 1:
        return (-abs(factor), abs(factor)) if symmetric else (0, factor)
    raise ValueError(message)


def check_value_range(value_range, layer_name):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(
            f"{layer_name}: the `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range}"
        )
    return sorted(value_range)


# ------------------------------------------------------------------------ numerics
def to_range(images, original, target):
    """Map values linearly from the `original` (min, max) range to the `target` one."""
    if original[0] == target[0] and original[1] == target[1]:
        return images
    images = (images - original[0]) / (original[1] - original[0])
    return images * (target[1] - target[0]) + target[0]


def grayscale(images):
    """(batch, h, w, 1) luminance of RGB images (single-channel images are returned)."""
    channels = images.shape[-1]
    if channels == 1:
        return images
    if channels != 3:
        raise ValueError(
            "Expected RGB (3 channels) or grayscale (1 channel) images; received "
            f"{channels} channels."
        )
    weights = torch.tensor(GRAYSCALE_WEIGHTS, dtype=images.dtype, device=images.device)
    return (images * weights).sum(dim=-1, keepdim=True)


def rgb_to_hsv(images):
    """Channels-last RGB -> HSV (hue in [0, 1)), with Keras's handling of zeros and ties."""
    eps = torch.finfo(images.dtype).eps
    images = torch.where(images.abs() < eps, torch.zeros_like(images), images)
    red, green, blue = images.unbind(-1)
    value = torch.maximum(torch.maximum(red, green), blue)
    minimum = torch.minimum(torch.minimum(red, green), blue)
    spread = value - minimum
    safe_value = torch.where(value > 0, value, torch.ones_like(value))
    safe_spread = torch.where(spread > 0, spread, torch.ones_like(spread))
    saturation = torch.where(value > 0, spread / safe_value, torch.zeros_like(value))
    norm = 1.0 / (6.0 * safe_spread)
    hue = torch.where(value == green, norm * (blue - red) + 2.0 / 6.0,
                      norm * (red - green) + 4.0 / 6.0)
    hue = torch.where(value == red, norm * (green - blue), hue)
    hue = torch.where(spread > 0, hue, torch.zeros_like(hue)) + (hue < 0).to(hue.dtype)
    return torch.stack([hue, saturation, value], dim=-1)


def hsv_to_rgb(images):
    hue, saturation, value = images.unbind(-1)
    dh = torch.remainder(hue, 1.0) * 6.0
    dr = torch.clamp((dh - 3.0).abs() - 1.0, 0.0, 1.0)
    dg = torch.clamp(2.0 - (dh - 2.0).abs(), 0.0, 1.0)
    db = torch.clamp(2.0 - (dh - 4.0).abs(), 0.0, 1.0)
    base = 1.0 - saturation
    return torch.stack([value * (base + saturation * d) for d in (dr, dg, db)], dim=-1)


def filter_same(images, kernel):
    """Apply a 2-D `kernel` (kh, kw) to every channel, zero padding, output the input size."""
    channels = images.shape[-1]
    x = images.permute(0, 3, 1, 2)
    kh, kw = kernel.shape
    # TensorFlow/JAX "SAME" padding: the extra pixel (even kernels) goes after.
    x = F.pad(x, ((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2))
    weight = kernel.to(images.dtype).expand(channels, 1, kh, kw)
    return F.conv2d(x, weight, groups=channels).permute(0, 2, 3, 1)


def gaussian_kernel_1d(size, sigma, dtype, device):
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


sample = image_kernels.sample  # (shared with affine_transform)


def box_masks(height, width, x0, x1, y0, y1, like):
    """(batch, h, w, 1) masks of the pixels with x0 <= x < x1 and y0 <= y < y1."""
    rows = torch.arange(height, dtype=like.dtype, device=like.device).view(1, height, 1, 1)
    cols = torch.arange(width, dtype=like.dtype, device=like.device).view(1, 1, width, 1)
    x0, x1, y0, y1 = (v.view(-1, 1, 1, 1) for v in (x0, x1, y0, y1))
    return (cols >= x0) & (cols < x1) & (rows >= y0) & (rows < y1)
