"""`Quantizer`, the absolute-maximum int quantizers and grouped asymmetric quantization.

Quantized values come with their scale: `x ≈ q / scale` for the abs-max functions (Keras's
convention, a multiplicative scale), `x ≈ (q - zero_point) * scale` for the grouped one.
"""

import math

import numpy as np
import torch

from lamina import config
from lamina.quantizers import _tensors
from lamina.registry.object_registry import keras_export

_EPSILON = config.epsilon()  # Keras binds the default epsilon when the module is imported


@keras_export("Quantizer", "quantizers.Quantizer", package="quantizers",
              aliases=("quantizer",))
class Quantizer:
    """Base class of quantizers: `quantizer(x)` returns the quantized `x` (here unchanged).

    Subclasses implement `__call__` and `get_config`; `from_config(config)` calls the
    constructor with the config's entries.
    """

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")


@keras_export("quantizers.abs_max_quantize", package=False)
def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=_EPSILON,
                     to_numpy=False):
    """Symmetric quantization by the largest absolute value along `axis`.

    `scale = value_range[1] / (max(|inputs|, axis) + epsilon)` and
    `q = clip(round(inputs * scale), *value_range)` cast to `dtype`, so `inputs ≈ q / scale`.

    Args:
        inputs: The tensor (or array) to quantize.
        axis: The axis or axes reduced to find the range; `scale` keeps them with size 1.
        value_range: `(min, max)` of the quantized values. Defaults to `(-127, 127)`.
        dtype: The dtype of the quantized values. Defaults to `"int8"`.
        epsilon: Added to the maximum so an all-zero slice does not divide by zero.
        to_numpy: Compute on the host with numpy (saves device memory for large weights).

    Returns:
        `(quantized, scale)`: `scale` has the dtype of `inputs`.
    """
    if to_numpy:
        return _abs_max_quantize_numpy(inputs, axis, value_range, dtype, epsilon)
    inputs = _tensors.as_tensor(inputs)
    dims = _tensors.axes(axis, inputs.ndim)
    peak = torch.amax(inputs.abs(), dim=dims, keepdim=True)
    scale = (value_range[1] / (peak + epsilon)).to(inputs.dtype)
    quantized = torch.clamp(torch.round(inputs * scale), value_range[0], value_range[1])
    return quantized.to(config.to_torch_dtype(dtype)), scale


def _abs_max_quantize_numpy(inputs, axis, value_range, dtype, epsilon):
    inputs = _tensors.as_tensor(inputs)
    original_dtype, device = inputs.dtype, inputs.device
    array = inputs.detach().cpu().numpy()
    dims = _tensors.axes(axis, array.ndim)
    scale = np.divide(value_range[1], np.max(np.abs(array), axis=dims, keepdims=True) + epsilon)
    quantized = np.clip(np.round(array * scale), value_range[0], value_range[1]).astype(dtype)
    return (torch.from_numpy(quantized).to(device),
            torch.from_numpy(np.asarray(scale)).to(device=device, dtype=original_dtype))


@keras_export("quantizers.abs_max_quantize_grouped_with_zero_point", package=False)
def abs_max_quantize_grouped_with_zero_point(inputs, block_size, value_range=(-8, 7),
                                             dtype="int8", epsilon=_EPSILON, to_numpy=False):
    """Asymmetric quantization of a 2D weight `(input_dim, output_dim)` in groups of
    `block_size` rows, each group and column with its own scale and zero point:
    `inputs ≈ (q - zero_point) * scale`.

    The last group is padded with zeros (which take part in its range) when `input_dim` is
    not a multiple of `block_size`. A group whose values are all equal gets the range
    `[value - 1, value + 1]` (not with `to_numpy=True`, as in Keras).

    Args:
        inputs: The 2D tensor to quantize.
        block_size: Rows per group.
        value_range: `(qmin, qmax)` of the quantized values. Defaults to `(-8, 7)` (int4).
        dtype: The dtype of the quantized values. Defaults to `"int8"`.
        epsilon: Added to each group's range before dividing.
        to_numpy: Compute on the host with numpy.

    Returns:
        `(quantized, scale, zero_point)`: `quantized` has the shape of `inputs`; `scale` (the
        dtype of `inputs`) and `zero_point` (int8) have shape
        `(ceil(input_dim / block_size), output_dim)`.
    """
    inputs = _tensors.as_tensor(inputs)
    if inputs.ndim != 2:
        raise ValueError(
            "abs_max_quantize_grouped_with_zero_point() quantizes 2D weights (input_dim, "
            f"output_dim). Received: inputs.shape={tuple(inputs.shape)}"
        )
    if to_numpy:
        return _grouped_numpy(inputs, block_size, value_range, dtype, epsilon)
    qmin, qmax = value_range
    groups = _groups(inputs, block_size)  # (n_groups, block_size, output_dim)
    low, high = groups.amin(dim=1), groups.amax(dim=1)
    flat = low == high
    low, high = torch.where(flat, low - 1, low), torch.where(flat, high + 1, high)
    bits = int(math.log2(qmax - qmin + 1))  # (-8, 7) -> 4
    spread = high - low + epsilon if epsilon > 0 else high - low
    scale = spread / (2**bits - 1)
    scale = torch.where(scale <= 0, torch.full_like(scale, 1e-8), scale)
    zero = torch.clamp(torch.round(-low / scale) + qmin, qmin, 2 ** (bits - 1) - 1)
    quantized = torch.clamp(torch.round(groups / scale[:, None]) + zero[:, None], qmin, qmax)
    quantized = quantized.reshape(-1, inputs.shape[1])[:inputs.shape[0]]
    return (quantized.to(config.to_torch_dtype(dtype)), scale.to(inputs.dtype),
            zero.to(torch.int8))


def _groups(inputs, block_size):
    n_groups = math.ceil(inputs.shape[0] / block_size)
    padding = n_groups * block_size - inputs.shape[0]
    if padding:
        inputs = torch.cat([inputs, inputs.new_zeros(padding, inputs.shape[1])])
    return inputs.reshape(n_groups, block_size, inputs.shape[1])


def _grouped_numpy(inputs, block_size, value_range, dtype, epsilon):
    original_dtype, device, rows = inputs.dtype, inputs.device, inputs.shape[0]
    groups = _groups(inputs.detach().cpu(), block_size).numpy()
    qmin, qmax = value_range
    low = groups.min(axis=1, keepdims=True)
    high = groups.max(axis=1, keepdims=True)
    scale = (high - low + epsilon) / (qmax - qmin)
    zero = np.clip(np.round(-low / scale) + qmin, qmin, qmax)
    quantized = np.clip(np.round(groups / scale) + zero, qmin, qmax).astype(dtype)
    quantized = quantized.reshape(-1, groups.shape[2])[:rows]
    return (torch.from_numpy(quantized).to(device),
            torch.from_numpy(scale[:, 0]).to(device=device, dtype=original_dtype),
            torch.from_numpy(zero[:, 0].astype("int8")).to(device))


@keras_export("quantizers.AbsMaxQuantizer", package="quantizers",
              aliases=("abs_max_quantizer",))
class AbsMaxQuantizer(Quantizer):
    """Quantizes with `abs_max_quantize`: `quantizer(x, axis=-1)` returns `(q, scale)`.

    Args:
        axis: Deprecated (pass `axis` when calling): the default reduction axis.
        value_range: `(min, max)` of the quantized values. Defaults to `(-127, 127)`.
        epsilon: Added to the maximum before dividing.
        output_dtype: The dtype of the quantized values. Defaults to `"int8"`.
    """

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=_EPSILON,
                 output_dtype="int8"):
        super().__init__(output_dtype=output_dtype)
        self.axis = None if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        self.value_range = tuple(value_range)
        self.epsilon = epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(
                "An AbsMaxQuantizer with output_dtype='int8' needs value_range within "
                f"[-128, 127]. Received: value_range={tuple(value_range)}"
            )

    def __call__(self, x, axis=None, to_numpy=False):
        """`(quantized, scale)` of `x` along `axis` (default: the constructor's, else -1)."""
        if axis is None:
            axis = self.axis if self.axis is not None else -1
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon,
                                to_numpy)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon,
                  "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config
