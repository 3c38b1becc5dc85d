"""Image kernels shared by `lamina.ops.image` and the image preprocessing layers, with Keras's
numerics (they live with the ops, below the layers, so `ops` never imports `layers`).

Images are `(batch, height, width, channels)` (or unbatched, or channels_first); the helpers
below work on a batched channels-last view and put the layout back. All work stays on the
input's device.

* `resize`: Keras (JAX backend) resizes with `jax.image.resize`, i.e. separable kernels with
  half-pixel centres (bilinear = triangle, bicubic = Keys cubic with a=-0.5, Lanczos 3/5),
  optionally widened for antialiasing. `torch.nn.functional.interpolate` uses a=-0.75 for
  bicubic, so the kernels are applied here as two small matrix products instead.
* `affine_transform`: the Keras/TensorFlow convention (output pixel (x, y) samples the input at
  (a0*x + a1*y + a2, b0*x + b1*y + b2)) with the fill modes of `scipy.ndimage` as JAX
  implements them; it gathers the 1 or 4 neighbours directly so that every fill mode ("wrap"
  included) and the rounding of "nearest" match Keras.
"""

import math

import numpy as np
import torch

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
AFFINE_INTERPOLATIONS = ("nearest", "bilinear")


def check_choice(value, choices, argument, layer_name):
    if value not in choices:
        raise ValueError(
            f"{layer_name}: invalid `{argument}`. Expected one of {choices}. "
            f"Received: {argument}={value!r}"
        )


def spatial_axes(ndim, data_format):
    """(height_axis, width_axis) for images of rank `ndim` (3 or 4)."""
    if ndim not in (3, 4):
        raise ValueError(
            "Expected images of rank 3 (height, width, channels) or 4 (batch, height, width, "
            f"channels); received an input of rank {ndim}."
        )
    return (-3, -2) if data_format == "channels_last" else (-2, -1)


def to_batched_channels_last(images, data_format):
    """A (batch, height, width, channels) view of `images` and a function that undoes it."""
    unbatched = images.ndim == 3
    if unbatched:
        images = images.unsqueeze(0)
    if data_format == "channels_first":
        images = images.permute(0, 2, 3, 1)

    def restore(result):
        if data_format == "channels_first":
            result = result.permute(0, 3, 1, 2)
        return result.squeeze(0) if unbatched else result

    return images, restore


def as_float(images, dtype):
    """Keras casts images to the layer's compute dtype before transforming them."""
    return images if images.dtype == dtype else images.to(dtype)


# ---------------------------------------------------------------------------------- resize
def _triangle(x):
    return torch.clamp(1 - x, min=0)


def _keys_cubic(x):
    near = ((1.5 * x - 2.5) * x) * x + 1
    far = ((-0.5 * x + 2.5) * x - 4) * x + 2
    return torch.where(x >= 2, torch.zeros_like(x), torch.where(x >= 1, far, near))


def _lanczos(radius):
    def kernel(x):
        y = radius * torch.sin(math.pi * x) * torch.sin(math.pi * x / radius)
        safe_x = torch.where(x != 0, x, torch.ones_like(x))
        out = torch.where(x > 1e-3, y / (math.pi ** 2 * safe_x ** 2), torch.ones_like(x))
        return torch.where(x > radius, torch.zeros_like(x), out)

    return kernel


_KERNELS = {"bilinear": _triangle, "bicubic": _keys_cubic, "lanczos3": _lanczos(3.0),
            "lanczos5": _lanczos(5.0)}


def _resize_weights(in_size, out_size, interpolation, antialias, device):
    """(out_size, in_size) matrix of interpolation weights along one axis."""
    inv_scale = 1.0 / (out_size / in_size)
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    centres = (torch.arange(out_size, dtype=torch.float32, device=device) + 0.5) * inv_scale - 0.5
    sources = torch.arange(in_size, dtype=torch.float32, device=device)
    weights = _KERNELS[interpolation]((centres[:, None] - sources[None, :]).abs() / kernel_scale)
    total = weights.sum(dim=1, keepdim=True)
    usable = total.abs() > 1000 * float(np.finfo(np.float32).eps)
    weights = torch.where(usable, weights / torch.where(total != 0, total, 1), 0)
    inside = (centres >= -0.5) & (centres <= in_size - 0.5)
    return weights * inside[:, None]


def _resize_axis(images, axis, size, interpolation, antialias):
    in_size = images.shape[axis]
    if in_size == size:
        return images
    if interpolation == "nearest":
        positions = (torch.arange(size, dtype=torch.float32, device=images.device) + 0.5)
        index = torch.floor(positions * in_size / size).long().clamp(max=in_size - 1)
        return images.index_select(axis, index)
    weights = _resize_weights(in_size, size, interpolation, antialias, images.device)
    moved = images.movedim(axis, -1)
    return torch.matmul(moved, weights.to(images.dtype).T).movedim(-1, axis)


def resize(images, height, width, interpolation="bilinear", antialias=False):
    """Resize (batch, height, width, channels) float images to (height, width)."""
    images = _resize_axis(images, 1, height, interpolation, antialias)
    return _resize_axis(images, 2, width, interpolation, antialias)


def aspect_crop_box(height, width, target_height, target_width):
    """(top, left, crop_height, crop_width): the largest centred crop with the target's aspect."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    return (int(float(height - crop_height) / 2), int(float(width - crop_width) / 2),
            crop_height, crop_width)


def pad_to_aspect(images, target_height, target_width, fill_value):
    """Pad (batch, height, width, channels) images evenly to the target's aspect ratio."""
    height, width = images.shape[1], images.shape[2]
    pad_height = max(height, int(float(width * target_height) / target_width))
    pad_width = max(width, int(float(height * target_width) / target_height))
    top = int(float(pad_height - height) / 2)
    left = int(float(pad_width - width) / 2)
    if top > 0:
        band = torch.full_like(images[:, :top], fill_value)
        return torch.cat([band, images, band], dim=1)
    if left > 0:
        band = torch.full_like(images[:, :, :left], fill_value)
        return torch.cat([band, images, band], dim=2)
    return images


def saturate_cast(values, dtype):
    """Round and clip float results into the range of an integer `dtype`, then cast."""
    info = torch.iinfo(dtype)
    return torch.round(values).clamp(info.min, info.max).to(dtype)


# ---------------------------------------------------------------------------------- affine
def _fix_indices(index, size, fill_mode):
    """Map integer sample positions outside [0, size) back inside, as `fill_mode` says."""
    if fill_mode == "nearest":
        return index.clamp(0, size - 1)
    if fill_mode == "wrap":
        return torch.remainder(index, size)
    if fill_mode == "reflect":  # half-sample symmetric: d c b a | a b c d | d c b a
        folded = torch.remainder(index, 2 * size)
        return torch.where(folded >= size, 2 * size - 1 - folded, folded)
    return index.clamp(0, size - 1)  # constant: any valid index; masked out below


def _round_half_away_from_zero(x):
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="constant",
                     fill_value=0.0):
    """Warp (batch, height, width, channels) float images by per-image (batch, 8) transforms."""
    batch, height, width, channels = images.shape
    dtype, device = images.dtype, images.device
    transforms = transforms.to(dtype)
    rows = torch.arange(height, dtype=dtype, device=device).view(1, height, 1)
    cols = torch.arange(width, dtype=dtype, device=device).view(1, 1, width)
    a0, a1, a2, b0, b1, b2 = (transforms[:, i].view(batch, 1, 1) for i in range(6))
    source_x = a0 * cols + a1 * rows + a2
    source_y = b0 * cols + b1 * rows + b2
    return sample(images, source_x, source_y, interpolation, fill_mode, fill_value)


def sample(images, source_x, source_y, interpolation="bilinear", fill_mode="constant",
           fill_value=0.0):
    """Resample (batch, h, w, c) images at per-pixel source positions (batch, h, w), with
    Keras's fill modes (the sampling every geometric augmentation shares)."""
    batch, height, width, channels = images.shape
    if interpolation == "nearest":
        neighbours = [(_round_half_away_from_zero(source_y).long(),
                       _round_half_away_from_zero(source_x).long(), None)]
    else:
        y0, x0 = torch.floor(source_y), torch.floor(source_x)
        wy1, wx1 = source_y - y0, source_x - x0
        y0, x0 = y0.long(), x0.long()
        neighbours = [(y0, x0, (1 - wy1) * (1 - wx1)), (y0, x0 + 1, (1 - wy1) * wx1),
                      (y0 + 1, x0, wy1 * (1 - wx1)), (y0 + 1, x0 + 1, wy1 * wx1)]
    flat = images.reshape(batch, height * width, channels)
    result = torch.zeros_like(images)
    for y, x, weight in neighbours:
        index = _fix_indices(y, height, fill_mode) * width + _fix_indices(x, width, fill_mode)
        values = torch.gather(flat, 1, index.reshape(batch, -1, 1).expand(-1, -1, channels))
        values = values.reshape(batch, height, width, channels)
        if fill_mode == "constant":
            inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
            values = torch.where(inside.unsqueeze(-1), values, float(fill_value))
        result = result + (values if weight is None else values * weight.unsqueeze(-1))
    return result
