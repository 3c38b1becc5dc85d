"""Windowed max/average pooling shared by MaxPooling*D and AveragePooling*D.

Keras "same" pooling pads like "same" convolution (odd pixel at the end), ignores the padding
for the max, and averages over the *real* elements of each window only. torch reaches exactly
that in one call: pad `left` on both sides with `ceil_mode=True` (for strides > 1 that lets the
last window hang over the right edge by the one extra pixel) and, for averages,
`count_include_pad=False` (whose divisor counts only elements inside the input). Tiny inputs
where torch's padding rules do not allow this take a slower explicit-padding path.
"""

import torch
import torch.nn.functional as F

from lamina import config
from lamina.layers import padding as padding_utils
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.utils.arguments import rename_legacy_kwargs

MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}

# Keras 1 spellings (pool_length/stride were the 1D names).
LEGACY_POOLING_KWARGS = {"pool_length": "pool_size", "stride": "strides",
                         "border_mode": "padding", "dim_ordering": "data_format"}
_DIM_ORDERING = {"th": "channels_first", "tf": "channels_last", "default": None}


def pop_legacy_pooling_kwargs(kwargs, where):
    """{Keras 3 name: value} for Keras 1 keywords found in `kwargs` (which loses them)."""
    rename_legacy_kwargs(kwargs, LEGACY_POOLING_KWARGS, where)
    modern = {new: kwargs.pop(new) for new in LEGACY_POOLING_KWARGS.values() if new in kwargs}
    if "data_format" in modern:
        modern["data_format"] = _DIM_ORDERING.get(modern["data_format"], modern["data_format"])
    return modern


class BasePooling(Layer):
    """Subclasses set `rank` and `mode` ("max" or "average")."""

    rank = None
    mode = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        where = f"{type(self).__name__}()"
        legacy = pop_legacy_pooling_kwargs(kwargs, where)
        pool_size = legacy.get("pool_size", pool_size)
        strides = legacy.get("strides", strides)
        padding = legacy.get("padding", padding)
        data_format = legacy.get("data_format", data_format)
        super().__init__(name=name, **kwargs)
        if pool_size is None:
            raise TypeError(f"{where} missing required argument: 'pool_size' (e.g. "
                            f"pool_size={(2,) * self.rank if self.rank > 1 else 2}).")
        self.pool_size = padding_utils.normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = padding_utils.normalize_tuple(
            self.pool_size if strides is None else strides, self.rank, "strides")
        self.padding = padding_utils.normalize_padding(padding)
        self.data_format = config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def call(self, inputs):
        x = padding_utils.to_channels_first(inputs, self.data_format)
        y = self._pool(x)
        return padding_utils.from_channels_first(y, self.data_format)

    def _pool(self, x):
        if self.padding == "valid":
            return self._torch_pool(x, 0, False)
        spatial = x.shape[2:]
        pairs = [padding_utils.same_padding(n, k, s)
                 for n, k, s in zip(spatial, self.pool_size, self.strides)]
        # Stride 1 with an odd total: ceil_mode adds no window, so pad one more on the left too
        # and drop the first window instead.
        drop_first = [left != right and s == 1 for (left, right), s in zip(pairs, self.strides)]
        pads = tuple(right if drop else left for (left, right), drop in zip(pairs, drop_first))
        if any(n + 2 * p < k for n, p, k in zip(spatial, pads, self.pool_size)):
            return self._explicit_same_pool(x, pairs)
        y = self._torch_pool(x, pads, True)
        if any(drop_first):
            y = y[(slice(None), slice(None)) + tuple(slice(int(d), None) for d in drop_first)]
        return y

    def _torch_pool(self, x, padding, ceil_mode):
        if self.mode == "max":
            return MAX_POOL[self.rank](x, self.pool_size, self.strides, padding,
                                       ceil_mode=ceil_mode)
        return AVG_POOL[self.rank](x, self.pool_size, self.strides, padding, ceil_mode=ceil_mode,
                                   count_include_pad=False)

    def _explicit_same_pool(self, x, pairs):
        """Pad explicitly (window larger than the padded input); averages divide by the number
        of real elements, found by pooling a padded tensor of ones."""
        pad = padding_utils.torch_pad_argument(pairs)
        if self.mode == "max":
            padded = F.pad(x, pad, value=float("-inf"))
            return MAX_POOL[self.rank](padded, self.pool_size, self.strides)
        pooled = AVG_POOL[self.rank](F.pad(x, pad), self.pool_size, self.strides)
        ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
        fraction = AVG_POOL[self.rank](F.pad(ones, pad), self.pool_size, self.strides)
        return pooled / fraction

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        last = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if last else input_shape[2:]
        sizes = tuple(padding_utils.conv_output_size(n, k, s, self.padding)
                      for n, k, s in zip(spatial, self.pool_size, self.strides))
        if any(size is not None and size <= 0 for size in sizes):
            raise ValueError(
                f'Layer "{self.name}": the computed output size would be zero or negative: input '
                f"shape {input_shape}, pool_size={self.pool_size}, strides={self.strides}, "
                f'padding={self.padding!r}. Use a smaller pool_size or padding="same".'
            )
        if last:
            return (input_shape[0],) + sizes + (input_shape[-1],)
        return input_shape[:2] + sizes

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }
