"""ContrastLimitedAdaptiveHistogramEqualization (CLAHE): histogram equalization per tile,
with clipped histograms, blended between tiles by bilinear interpolation."""

import torch

from lamina.ops import image_kernels
from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           check_value_range, to_range)
from lamina.registry.export import keras_export

BINS = 256


@keras_export("layers.ContrastLimitedAdaptiveHistogramEqualization")
class ContrastLimitedAdaptiveHistogramEqualization(AugmentationLayer):
    """Contrast Limited Adaptive Histogram Equalization, in training and inference alike.

    Values are mapped from `value_range` to [0, 255]. The image is cut into a grid of
    `tile_grid_size` tiles (the bottom and right edges padded by mirroring when the size does
    not divide); each tile and channel gets a 256-bin histogram of the integer parts of its
    values, clipped at `clip_limit * tile_pixels / 256` with the excess spread evenly over all
    bins (no clipping when `clip_limit <= 0`), and its normalised cumulative histogram maps
    values to [0, 255]. A pixel's result interpolates bilinearly between the maps of the four
    nearest tile centres (the edges use the nearest tile). The result is mapped back to
    `value_range` and cast to the input's dtype.

    Args:
        value_range: (min, max) of the pixel values (default (0, 255)).
        clip_limit: the contrast limit, in multiples of a flat histogram's height (default 4.0).
        tile_grid_size: (rows, columns) of tiles (default (8, 8)).
        data_format: "channels_last" or "channels_first" (default: the global setting).
    """

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        name = "ContrastLimitedAdaptiveHistogramEqualization"
        self.value_range = check_value_range(value_range, name)
        if (not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2
                or not all(isinstance(n, int) and n > 0 for n in tile_grid_size)):
            raise ValueError(f"{name}: `tile_grid_size` should be two positive integers "
                             f"(rows, columns). Received: tile_grid_size={tile_grid_size!r}")
        self.clip_limit = clip_limit
        self.tile_grid_size = tuple(tile_grid_size)

    def call(self, inputs, training=True):
        # Deterministic and not an augmentation: Keras applies it whatever `training` says.
        if isinstance(inputs, dict):
            outputs = dict(inputs)
            outputs["images"] = self.call(torch.as_tensor(inputs["images"]))
            return outputs
        image_kernels.spatial_axes(inputs.ndim, self.data_format)
        batched, restore = image_kernels.to_batched_channels_last(inputs, self.data_format)
        scaled = to_range(batched.to(torch.float32), self.value_range, (0, 255))
        result = to_range(clahe(scaled, self.tile_grid_size, self.clip_limit), (0, 255),
                          self.value_range)
        if not inputs.is_floating_point():
            result = torch.trunc(result)  # a float -> integer cast, as Keras's
        return restore(result.to(inputs.dtype))

    def augment(self, images):
        scaled = to_range(images, self.value_range, (0, 255))
        result = clahe(scaled, self.tile_grid_size, self.clip_limit)
        return to_range(result, (0, 255), self.value_range)

    def get_config(self):
        config = {**super().get_config(), "value_range": list(self.value_range),
                  "clip_limit": self.clip_limit, "tile_grid_size": list(self.tile_grid_size)}
        config.pop("seed")  # deterministic: no seed argument, as in Keras
        return config


def clahe(images, tile_grid_size, clip_limit):
    """CLAHE of (batch, height, width, channels) float images with values in [0, 255]."""
    batch, height, width, channels = images.shape
    grid_h, grid_w = tile_grid_size
    tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
    padded = _pad_symmetric(images, tile_h * grid_h - height, tile_w * grid_w - width)
    levels = padded.to(torch.int32).clamp(0, BINS - 1).long()  # truncation, then clipping

    # (batch, grid_h, grid_w, channels, bins) histograms of every tile.
    tiles = levels.reshape(batch, grid_h, tile_h, grid_w, tile_w, channels)
    tiles = tiles.permute(0, 1, 3, 5, 2, 4).reshape(batch, grid_h, grid_w, channels, -1)
    counts = torch.zeros(tiles.shape[:-1] + (BINS,), dtype=torch.float32,
                         device=images.device)
    counts.scatter_add_(-1, tiles, torch.ones_like(tiles, dtype=torch.float32))
    tile_pixels = tile_h * tile_w
    if clip_limit > 0:
        limit = clip_limit * tile_pixels / float(BINS)
        clipped = counts.clamp(0, limit)
        counts = clipped + (counts - clipped).sum(-1, keepdim=True) / float(BINS)
    cdf = counts.cumsum(-1)
    cdf_min = cdf.min(-1, keepdim=True).values
    denominator = tile_pixels - cdf_min
    denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
    maps = ((cdf - cdf_min) * 255.0 / denominator).clamp(0, 255)
    # Repeat the border tiles so that pixels beyond the outer tile centres use the nearest.
    maps = torch.cat([maps[:, :1], maps, maps[:, -1:]], dim=1)
    maps = torch.cat([maps[:, :, :1], maps, maps[:, :, -1:]], dim=2)

    row0, row1, row_weight = _tile_neighbours(tile_h * grid_h, tile_h, grid_h, images.device)
    col0, col1, col_weight = _tile_neighbours(tile_w * grid_w, tile_w, grid_w, images.device)

    def lookup(rows, cols):
        # maps[b, rows[y], cols[x], c, levels[b, y, x, c]] for every pixel.
        tables = maps[:, rows][:, :, cols]  # (batch, H, W, channels, bins)
        return torch.gather(tables, -1, levels.unsqueeze(-1)).squeeze(-1)

    row_weight = row_weight.view(1, -1, 1, 1)
    col_weight = col_weight.view(1, 1, -1, 1)
    top = lookup(row0, col0) * (1 - col_weight) + lookup(row0, col1) * col_weight
    bottom = lookup(row1, col0) * (1 - col_weight) + lookup(row1, col1) * col_weight
    result = top * (1 - row_weight) + bottom * row_weight
    return result[:, :height, :width].to(images.dtype)


def _tile_neighbours(size, tile, grid, device):
    """For each pixel along one axis: the indices of the tiles (in the border-extended grid)
    whose centres surround it and the weight of the second one."""
    position = (torch.arange(size, dtype=torch.float32, device=device) - tile / 2.0) / tile + 1
    lower = torch.floor(position)
    weight = position - lower
    upper = (lower + 1).clamp(0, grid + 1).long()
    return lower.clamp(0, grid + 1).long(), upper, weight


def _pad_symmetric(images, pad_h, pad_w):
    """Pad the bottom and right edges by mirroring, edge pixels included (d c b a | a b c d)."""
    if pad_h == 0 and pad_w == 0:
        return images
    if pad_h:
        images = torch.cat([images, _mirrored(images, 1, pad_h)], dim=1)
    if pad_w:
        images = torch.cat([images, _mirrored(images, 2, pad_w)], dim=2)
    return images


def _mirrored(images, axis, amount):
    """The `amount` entries that continue `images` past its end along `axis`, mirrored (and
    repeated for pads longer than the axis, as numpy's "symmetric" mode)."""
    size = images.shape[axis]
    index = torch.arange(size, size + amount, device=images.device)
    folded = torch.remainder(index, 2 * size)
    index = torch.where(folded >= size, 2 * size - 1 - folded, folded)
    return images.index_select(axis, index)
