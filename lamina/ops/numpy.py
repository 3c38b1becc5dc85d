"""NumPy-style ops (Keras's `keras.ops.numpy`) on torch tensors.

Argument names and result dtypes follow Keras: `axis`/`keepdims`, `x1`/`x2`; integer inputs to
float functions (sqrt, exp, mean, ...) give `floatx()`; sums of bool/small ints give int32; arg*
ops give int32 indices. Everything runs on the device of the inputs.

This module defines functions named `sum`, `max`, `abs`, `round`, `any`, `all`: inside it, the
Python built-ins are reached through `builtins`.
"""

import builtins

import numpy as np
import torch
import torch.nn.functional as F

from lamina import config
from lamina.devices import default_device
from lamina.ops.core import binary_operands, tensor_operands, to_tensor
from lamina.symbolic.dispatch import keras_op

_SMALL_INT_DTYPES = (torch.bool, torch.int8, torch.int16, torch.uint8)


# ---- helpers -------------------------------------------------------------------------------------

def _float(x):
    """`x` as a tensor of a float dtype: integer/bool inputs become floatx, as in Keras."""
    x = to_tensor(x)
    if x.is_floating_point() or x.is_complex():
        return x
    return x.to(config.to_torch_dtype(None))


def _dims(axis):
    """A Keras `axis` (None, int, list, tuple) as torch's `dim` argument."""
    if axis is None or isinstance(axis, int):
        return axis
    return tuple(int(a) for a in axis)


def _accumulation_dtype(dtype):
    """Sums/products of bools and small ints are int32 in Keras; others keep their dtype."""
    return torch.int32 if dtype in _SMALL_INT_DTYPES else dtype


def _same_dtype(tensors):
    """The inputs as tensors of one (promoted) dtype, arrays placed on the tensors' device."""
    device = next((t.device for t in tensors if isinstance(t, torch.Tensor)), None)
    tensors = [to_tensor(t, device=device) for t in tensors]
    common = tensors[0].dtype
    for t in tensors[1:]:
        common = torch.promote_types(common, t.dtype)
    return [t.to(common) for t in tensors]


# ---- arithmetic ----------------------------------------------------------------------------------

@keras_op
def add(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1 + x2


@keras_op
def subtract(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1 - x2


@keras_op
def multiply(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1 * x2


@keras_op
def divide(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1 / x2


true_divide = divide


@keras_op
def divide_no_nan(x1, x2):
    """`x1 / x2`, with 0 where `x2` is 0."""
    x1, x2 = tensor_operands(x1, x2)
    return torch.where(x2 == 0, 0, x1 / x2)


@keras_op
def floor_divide(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1 // x2


@keras_op
def mod(x1, x2):
    """Remainder with the sign of the divisor (NumPy's `mod`)."""
    x1, x2 = binary_operands(x1, x2)
    return x1 % x2


@keras_op
def power(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1**x2


@keras_op
def negative(x):
    return -to_tensor(x)


@keras_op
def square(x):
    x = to_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    return x * x


@keras_op
def sqrt(x):
    return torch.sqrt(_float(x))


@keras_op
def rsqrt(x):
    return torch.rsqrt(_float(x))


@keras_op
def reciprocal(x):
    return torch.reciprocal(_float(x))


@keras_op
def exp(x):
    return torch.exp(_float(x))


@keras_op
def exp2(x):
    return torch.exp2(_float(x))


@keras_op
def expm1(x):
    return torch.expm1(_float(x))


@keras_op
def log(x):
    return torch.log(_float(x))


@keras_op
def log1p(x):
    return torch.log1p(_float(x))


@keras_op
def log2(x):
    return torch.log2(_float(x))


@keras_op
def log10(x):
    return torch.log10(_float(x))


@keras_op
def sin(x):
    return torch.sin(_float(x))


@keras_op
def cos(x):
    return torch.cos(_float(x))


@keras_op
def tan(x):
    return torch.tan(_float(x))


@keras_op
def tanh(x):
    return torch.tanh(_float(x))


@keras_op
def arctan(x):
    return torch.arctan(_float(x))


@keras_op
def abs(x):
    return torch.abs(to_tensor(x))


absolute = abs


@keras_op
def sign(x):
    return torch.sign(to_tensor(x))


@keras_op
def round(x, decimals=0):
    """Round half to even, like NumPy; integer inputs are returned unchanged."""
    x = to_tensor(x)
    if not x.is_floating_point():
        return x
    return torch.round(x, decimals=decimals)


@keras_op
def floor(x):
    return torch.floor(_float(x))


@keras_op
def ceil(x):
    return torch.ceil(_float(x))


@keras_op
def clip(x, x_min, x_max):
    """`x` limited to `[x_min, x_max]`; the bounds may be scalars or tensors."""
    x = to_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    if isinstance(x_min, (int, float)) and isinstance(x_max, (int, float)):
        return torch.clamp(x, x_min, x_max)
    x_min = to_tensor(x_min, dtype=x.dtype, device=x.device)
    x_max = to_tensor(x_max, dtype=x.dtype, device=x.device)
    return torch.clamp(x, x_min, x_max)


@keras_op
def maximum(x1, x2):
    x1, x2 = tensor_operands(x1, x2)
    return torch.maximum(x1, x2)


@keras_op
def minimum(x1, x2):
    x1, x2 = tensor_operands(x1, x2)
    return torch.minimum(x1, x2)


@keras_op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return torch.nan_to_num(to_tensor(x), nan=nan, posinf=posinf, neginf=neginf)


# ---- comparisons and logic -----------------------------------------------------------------------

@keras_op
def equal(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1 == x2


@keras_op
def not_equal(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1 != x2


@keras_op
def greater(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1 > x2


@keras_op
def greater_equal(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1 >= x2


@keras_op
def less(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1 < x2


@keras_op
def less_equal(x1, x2):
    x1, x2 = binary_operands(x1, x2)
    return x1 <= x2


@keras_op
def logical_and(x1, x2):
    return torch.logical_and(*tensor_operands(x1, x2))


@keras_op
def logical_or(x1, x2):
    return torch.logical_or(*tensor_operands(x1, x2))


@keras_op
def logical_xor(x1, x2):
    return torch.logical_xor(*tensor_operands(x1, x2))


@keras_op
def logical_not(x):
    return torch.logical_not(to_tensor(x))


@keras_op
def isnan(x):
    return torch.isnan(to_tensor(x))


@keras_op
def isinf(x):
    return torch.isinf(to_tensor(x))


@keras_op
def isfinite(x):
    return torch.isfinite(to_tensor(x))


@keras_op
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    x1, x2 = _same_dtype(tensor_operands(x1, x2))
    return torch.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)


@keras_op
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return torch.all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


@keras_op
def where(condition, x1=None, x2=None):
    """Elementwise choice; with only `condition`, the indices of its non-zero entries."""
    condition = to_tensor(condition)
    if x1 is None and x2 is None:
        return torch.nonzero(condition, as_tuple=True)
    if x1 is None or x2 is None:
        raise ValueError("where needs both `x1` and `x2`, or neither (to get the indices).")
    x1, x2 = binary_operands(x1, x2)
    if isinstance(x1, torch.Tensor) and isinstance(x2, torch.Tensor):
        x1, x2 = _same_dtype([x1, x2])
    return torch.where(condition.to(torch.bool), x1, x2)


# ---- reductions ----------------------------------------------------------------------------------

@keras_op
def sum(x, axis=None, keepdims=False):
    x = to_tensor(x)
    return torch.sum(x, dim=_dims(axis), keepdim=keepdims, dtype=_accumulation_dtype(x.dtype))


@keras_op
def mean(x, axis=None, keepdims=False):
    return torch.mean(_float(x), dim=_dims(axis), keepdim=keepdims)


@keras_op
def average(x, axis=None, weights=None):
    x = _float(x)
    if weights is None:
        return torch.mean(x, dim=_dims(axis))
    weights = to_tensor(weights, dtype=x.dtype, device=x.device)
    if axis is None and weights.shape != x.shape:
        raise ValueError(
            f"average: weights of shape {tuple(weights.shape)} differ from the input's shape "
            f"{tuple(x.shape)}; pass the `axis` the weights run along."
        )
    if weights.ndim == 1 and x.ndim > 1 and axis is not None:
        # NumPy lets 1-D weights run along `axis` of an N-D input.
        shape = [1] * x.ndim
        shape[axis] = -1
        weights = weights.reshape(shape)
    return torch.sum(x * weights, dim=axis) / torch.sum(weights.expand_as(x), dim=axis)


def _extreme(reduce, x, axis, keepdims, initial, combine):
    x = to_tensor(x)
    result = reduce(x, dim=() if axis is None else _dims(axis), keepdim=keepdims)
    if initial is not None:
        result = combine(result, torch.as_tensor(initial, dtype=result.dtype, device=result.device))
    return result


@keras_op
def max(x, axis=None, keepdims=False, initial=None):
    return _extreme(torch.amax, x, axis, keepdims, initial, torch.maximum)


amax = max


@keras_op
def min(x, axis=None, keepdims=False, initial=None):
    return _extreme(torch.amin, x, axis, keepdims, initial, torch.minimum)


amin = min


@keras_op
def prod(x, axis=None, keepdims=False, dtype=None):
    x = to_tensor(x)
    dtype = config.to_torch_dtype(dtype) if dtype is not None else _accumulation_dtype(x.dtype)
    if axis is None:
        result = torch.prod(x, dtype=dtype)
        return result.reshape([1] * x.ndim) if keepdims else result
    axes = [axis] if isinstance(axis, int) else list(axis)
    # torch.prod reduces one axis at a time; go from the last axis so indices stay valid.
    result = x
    for a in sorted((a % x.ndim for a in axes), reverse=True):
        result = torch.prod(result, dim=a, keepdim=keepdims, dtype=dtype)
    return result


@keras_op
def var(x, axis=None, keepdims=False):
    """Population variance (divides by N), as NumPy and Keras do."""
    return torch.var(_float(x), dim=_dims(axis), correction=0, keepdim=keepdims)


@keras_op
def std(x, axis=None, keepdims=False):
    """Population standard deviation (divides by N)."""
    return torch.std(_float(x), dim=_dims(axis), correction=0, keepdim=keepdims)


@keras_op
def any(x, axis=None, keepdims=False):
    return torch.any(to_tensor(x).to(torch.bool), dim=_dims(axis), keepdim=keepdims)


@keras_op
def all(x, axis=None, keepdims=False):
    return torch.all(to_tensor(x).to(torch.bool), dim=_dims(axis), keepdim=keepdims)


@keras_op
def count_nonzero(x, axis=None):
    return torch.count_nonzero(to_tensor(x), dim=_dims(axis)).to(torch.int32)


def _flat_or(x, axis):
    """(x, axis), with `x` flattened when `axis` is None (NumPy's convention)."""
    return (x.reshape(-1), 0) if axis is None else (x, axis)


@keras_op
def cumsum(x, axis=None, dtype=None):
    x, axis = _flat_or(to_tensor(x), axis)
    dtype = config.to_torch_dtype(dtype) if dtype is not None else _accumulation_dtype(x.dtype)
    return torch.cumsum(x, dim=axis, dtype=dtype)


@keras_op
def cumprod(x, axis=None, dtype=None):
    x, axis = _flat_or(to_tensor(x), axis)
    dtype = config.to_torch_dtype(dtype) if dtype is not None else _accumulation_dtype(x.dtype)
    return torch.cumprod(x, dim=axis, dtype=dtype)


def _arg_extreme(reduce, x, axis, keepdims):
    x = to_tensor(x)
    if axis is None:
        result = reduce(x.reshape(-1))
        return (result.reshape([1] * x.ndim) if keepdims else result).to(torch.int32)
    return reduce(x, dim=axis, keepdim=keepdims).to(torch.int32)


@keras_op
def argmax(x, axis=None, keepdims=False):
    return _arg_extreme(torch.argmax, x, axis, keepdims)


@keras_op
def argmin(x, axis=None, keepdims=False):
    return _arg_extreme(torch.argmin, x, axis, keepdims)


@keras_op
def argsort(x, axis=-1):
    x, axis = _flat_or(to_tensor(x), axis)
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op
def sort(x, axis=-1):
    x, axis = _flat_or(to_tensor(x), axis)
    return torch.sort(x, dim=axis, stable=True).values


@keras_op
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm with NumPy's `linalg.norm` rules."""
    return torch.linalg.norm(_float(x), ord=ord, dim=_dims(axis), keepdim=keepdims)


# ---- products ------------------------------------------------------------------------------------

@keras_op
def matmul(x1, x2):
    x1, x2 = _same_dtype(tensor_operands(x1, x2))
    return torch.matmul(x1, x2)


@keras_op
def dot(x1, x2):
    """NumPy's `dot`: a product for scalars, matmul for 1-D/2-D, sum over the last axis of `x1`
    and the second-to-last of `x2` beyond that."""
    x1, x2 = _same_dtype(tensor_operands(x1, x2))
    if x1.ndim == 0 or x2.ndim == 0:
        return x1 * x2
    if x2.ndim <= 2:
        return torch.matmul(x1, x2)
    return torch.tensordot(x1, x2, dims=([x1.ndim - 1], [x2.ndim - 2]))


@keras_op
def tensordot(x1, x2, axes=2):
    x1, x2 = _same_dtype(tensor_operands(x1, x2))
    return torch.tensordot(x1, x2, dims=axes)


@keras_op
def outer(x1, x2):
    x1, x2 = _same_dtype(tensor_operands(x1, x2))
    return torch.outer(x1.reshape(-1), x2.reshape(-1))


@keras_op
def vdot(x1, x2):
    x1, x2 = _same_dtype(tensor_operands(x1, x2))
    return torch.vdot(x1.reshape(-1), x2.reshape(-1))


@keras_op
def einsum(subscripts, *operands, **kwargs):
    return torch.einsum(subscripts, *_same_dtype(operands))


# ---- shapes --------------------------------------------------------------------------------------

@keras_op
def reshape(x, newshape):
    newshape = (newshape,) if isinstance(newshape, int) else tuple(newshape)
    return torch.reshape(to_tensor(x), tuple(-1 if d is None else d for d in newshape))


@keras_op
def transpose(x, axes=None):
    x = to_tensor(x)
    return x.permute(tuple(reversed(range(x.ndim))) if axes is None else tuple(axes))


@keras_op
def moveaxis(x, source, destination):
    return torch.movedim(to_tensor(x), source, destination)


@keras_op
def swapaxes(x, axis1, axis2):
    return torch.swapaxes(to_tensor(x), axis1, axis2)


@keras_op
def ravel(x):
    return to_tensor(x).reshape(-1)


@keras_op
def expand_dims(x, axis):
    x = to_tensor(x)
    axes = [axis] if isinstance(axis, int) else list(axis)
    out_ndim = x.ndim + len(axes)
    for a in sorted(a % out_ndim for a in axes):
        x = x.unsqueeze(a)
    return x


@keras_op
def squeeze(x, axis=None):
    x = to_tensor(x)
    if axis is None:
        return torch.squeeze(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(
                f"squeeze: axis {a} has size {x.shape[a]}, but only axes of size 1 can be removed. "
                f"Input shape: {tuple(x.shape)}."
            )
    return torch.squeeze(x, dim=axes)


@keras_op
def broadcast_to(x, shape):
    return torch.broadcast_to(to_tensor(x), tuple(shape))


@keras_op
def concatenate(xs, axis=0):
    xs = _same_dtype(xs)
    if axis is None:
        return torch.cat([x.reshape(-1) for x in xs])
    return torch.cat(xs, dim=axis)


@keras_op
def append(x1, x2, axis=None):
    """`x2` joined after `x1` along `axis` (both flattened when `axis` is None)."""
    if axis is not None:
        ndim1, ndim2 = to_tensor(x1).ndim, to_tensor(x2).ndim
        if ndim1 != ndim2:
            raise TypeError(
                f"append: both inputs need the same number of dimensions, got {ndim1} and {ndim2}."
            )
    return concatenate([x1, x2], axis=axis)


@keras_op
def stack(x, axis=0):
    return torch.stack(_same_dtype(x), dim=axis)


@keras_op
def vstack(xs):
    return torch.vstack(_same_dtype(xs))


@keras_op
def hstack(xs):
    return torch.hstack(_same_dtype(xs))


@keras_op
def split(x, indices_or_sections, axis=0):
    """A list of sub-tensors: `n` equal parts (an int), or cut before each of the given indices."""
    x = to_tensor(x)
    if isinstance(indices_or_sections, int):
        if x.shape[axis] % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of size {x.shape[axis]} cannot be divided into "
                f"{indices_or_sections} equal parts. Pass a list of split indices instead."
            )
        return list(torch.tensor_split(x, indices_or_sections, dim=axis))
    return list(torch.tensor_split(x, [int(i) for i in indices_or_sections], dim=axis))


@keras_op
def tile(x, repeats):
    repeats = (repeats,) if isinstance(repeats, int) else tuple(repeats)
    return torch.tile(to_tensor(x), repeats)


@keras_op
def repeat(x, repeats, axis=None):
    x = to_tensor(x)
    if not isinstance(repeats, int):
        repeats = to_tensor(repeats, device=x.device).long()
    return torch.repeat_interleave(x, repeats, dim=axis)


@keras_op
def flip(x, axis=None):
    x = to_tensor(x)
    dims = tuple(range(x.ndim)) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    return torch.flip(x, dims=tuple(dims))


@keras_op
def tril(x, k=0):
    return torch.tril(to_tensor(x), diagonal=k)


@keras_op
def triu(x, k=0):
    return torch.triu(to_tensor(x), diagonal=k)


@keras_op
def diag(x, k=0):
    return torch.diag(to_tensor(x), diagonal=k)


@keras_op
def diagonal(x, offset=0, axis1=0, axis2=1):
    return torch.diagonal(to_tensor(x), offset=offset, dim1=axis1, dim2=axis2)


@keras_op
def trace(x, offset=0, axis1=0, axis2=1):
    x = to_tensor(x)
    diagonals = torch.diagonal(x, offset=offset, dim1=axis1, dim2=axis2)
    return torch.sum(diagonals, dim=-1, dtype=_accumulation_dtype(x.dtype))


def _wrap_negative(indices, size):
    return torch.where(indices < 0, indices + size, indices)


@keras_op
def get_item(x, key):
    """`x[key]` as an op (what `x[...]` on a symbolic tensor records). A list key is a tuple of
    indices, as Keras writes it in files, not fancy indexing."""
    return x[tuple(key) if isinstance(key, list) else key]


@keras_op
def take(x, indices, axis=None):
    """Elements of `x` at `indices` along `axis` (of the flattened `x` when axis is None).

    The result's shape is `x.shape[:axis] + indices.shape + x.shape[axis + 1:]`; negative indices
    count from the end.
    """
    x = to_tensor(x)
    x, axis = _flat_or(x, axis)
    axis = axis % x.ndim
    indices = to_tensor(indices, device=x.device).long()
    flat = torch.index_select(x, axis, _wrap_negative(indices.reshape(-1), x.shape[axis]))
    return flat.reshape(x.shape[:axis] + indices.shape + x.shape[axis + 1:])


@keras_op
def take_along_axis(x, indices, axis=None):
    x = to_tensor(x)
    x, axis = _flat_or(x, axis)
    indices = to_tensor(indices, device=x.device).long()
    return torch.take_along_dim(x, _wrap_negative(indices, x.shape[axis]), dim=axis)


def _pad_widths(pad_width, ndim):
    """NumPy's pad_width spellings (int, (a, b), per-axis pairs) as one (before, after) per axis."""
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (ndim, 2))
    return [(int(before), int(after)) for before, after in widths]


@keras_op
def pad(x, pad_width, mode="constant", constant_values=None):
    """NumPy's `pad` for modes "constant", "reflect", "symmetric", "edge" and "wrap"."""
    x = to_tensor(x)
    widths = _pad_widths(pad_width, x.ndim)
    if mode == "constant":
        flat = [w for before, after in reversed(widths) for w in (before, after)]
        return F.pad(x, flat, mode="constant", value=constant_values or 0)
    if mode not in ("reflect", "symmetric", "edge", "wrap"):
        raise ValueError(
            f"pad: unknown mode {mode!r}. Expected one of 'constant', 'reflect', 'symmetric', "
            "'edge', 'wrap'."
        )
    if constant_values is not None:
        raise ValueError(f"pad: constant_values is only used with mode='constant', not {mode!r}.")
    for axis, (before, after) in enumerate(widths):
        if before or after:
            # NumPy computes which source index fills each padded position; gather with it.
            source = np.pad(np.arange(x.shape[axis]), (before, after), mode=mode)
            x = torch.index_select(x, axis, torch.as_tensor(source, device=x.device))
    return x


# ---- creation ------------------------------------------------------------------------------------

def _dtype_or_floatx(dtype):
    return config.to_torch_dtype(dtype)


def _shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(int(d) for d in shape)


def ones(shape, dtype=None):
    return torch.ones(_shape(shape), dtype=_dtype_or_floatx(dtype), device=default_device())


def zeros(shape, dtype=None):
    return torch.zeros(_shape(shape), dtype=_dtype_or_floatx(dtype), device=default_device())


def empty(shape, dtype=None):
    return torch.empty(_shape(shape), dtype=_dtype_or_floatx(dtype), device=default_device())


def full(shape, fill_value, dtype=None):
    dtype = _dtype_or_floatx(dtype)
    if isinstance(fill_value, (bool, int, float)):
        return torch.full(_shape(shape), fill_value, dtype=dtype, device=default_device())
    fill_value = to_tensor(fill_value, dtype=dtype)
    return torch.broadcast_to(fill_value, _shape(shape)).clone()


def _like_dtype(x, dtype):
    return x.dtype if dtype is None else config.to_torch_dtype(dtype)


@keras_op
def ones_like(x, dtype=None):
    x = to_tensor(x)
    return torch.ones_like(x, dtype=_like_dtype(x, dtype))


@keras_op
def zeros_like(x, dtype=None):
    x = to_tensor(x)
    return torch.zeros_like(x, dtype=_like_dtype(x, dtype))


@keras_op
def full_like(x, fill_value, dtype=None):
    x = to_tensor(x)
    dtype = _like_dtype(x, dtype)
    if isinstance(fill_value, (bool, int, float)):
        return torch.full_like(x, fill_value, dtype=dtype)
    fill_value = to_tensor(fill_value, dtype=dtype, device=x.device)
    return torch.broadcast_to(fill_value, x.shape).clone()


def _diagonal_mask(N, M, k, dtype, compare):
    M = N if M is None else M
    device = default_device()
    rows = torch.arange(N, device=device).unsqueeze(1)
    columns = torch.arange(M, device=device).unsqueeze(0)
    return compare(columns - rows, k).to(_dtype_or_floatx(dtype))


def eye(N, M=None, k=0, dtype=None):
    """A 2-D tensor with ones on diagonal `k` (0 = main, > 0 above, < 0 below)."""
    return _diagonal_mask(N, M, k, dtype, torch.eq)


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below diagonal `k`, zeros above."""
    return _diagonal_mask(N, M, k, dtype, torch.le)


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [start, stop). Integer arguments give int32, floats give floatx."""
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if dtype is None:
        is_float = builtins.any(isinstance(v, float) for v in (start, stop, step))
        dtype = None if is_float else "int32"
    return torch.arange(start, stop, step, dtype=_dtype_or_floatx(dtype),
                        device=default_device())


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced samples from `start` to `stop` (inclusive unless endpoint=False).

    `start` and `stop` may be arrays; the samples then run along `axis` of the result.
    """
    dtype = _dtype_or_floatx(dtype)
    divisions = (num - 1 if endpoint else num) or 1
    start_t, stop_t = to_tensor(start, dtype=torch.float64), to_tensor(stop, dtype=torch.float64)
    step = (stop_t - start_t) / divisions
    positions = torch.arange(num, dtype=torch.float64, device=start_t.device)
    positions = positions.reshape((-1,) + (1,) * builtins.max(start_t.ndim, stop_t.ndim))
    samples = start_t + positions * step
    if endpoint and num > 1:
        samples[-1] = stop_t  # exact end point, as NumPy guarantees
    samples = torch.movedim(samples, 0, axis).to(dtype)
    return (samples, step.to(dtype)) if retstep else samples


@keras_op
def meshgrid(*x, indexing="xy"):
    return list(torch.meshgrid(*[to_tensor(t) for t in x], indexing=indexing))


@keras_op
def copy(x):
    return to_tensor(x).clone()


@keras_op
def size(x):
    """The number of elements, as a Python int."""
    return to_tensor(x).numel()


@keras_op
def ndim(x):
    return to_tensor(x).ndim


# The public names of this module, for `from lamina.ops.numpy import *`.
__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__
           and not name.startswith("_")]


# The rest of `keras.ops.numpy` (nan* reductions, quantiles, windows, ...) lives in numpy_more.
from lamina.ops import numpy_more as _numpy_more  # noqa: E402
from lamina.ops.numpy_more import *  # noqa: E402,F401,F403

__all__ += _numpy_more.__all__
