"""More of `keras.ops.numpy` on torch: the nan* reductions, quantiles, windows, splits, bitwise and
trigonometric extras, set and counting ops.

`lamina.ops.numpy` star-imports this module, so everything here is also `lamina.ops.numpy.X` and
`lamina.ops.X`. The dtype conventions are those of `lamina.ops.numpy` (see its docstring).
"""

import builtins
import re

import torch

from lamina import config
from lamina.devices import default_device
from lamina.ops.core import binary_operands, tensor_operands, to_tensor
from lamina.ops.numpy import (
    _accumulation_dtype, _arg_extreme, _dims, _dtype_or_floatx, _flat_or, _float, _same_dtype,
    linspace, split,
)
from lamina.symbolic.dispatch import keras_op

_INT_DTYPES = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)


# ---- helpers -------------------------------------------------------------------------------------

def _floatx():
    return config.to_torch_dtype(None)


def _pair(x1, x2):
    """Two tensors of one promoted dtype."""
    return _same_dtype(list(tensor_operands(x1, x2)))


def _float_pair(x1, x2):
    """Two tensors of one float dtype (integer/bool pairs become floatx)."""
    x1, x2 = _pair(x1, x2)
    if not (x1.is_floating_point() or x1.is_complex()):
        x1, x2 = x1.to(_floatx()), x2.to(_floatx())
    return x1, x2


def _axes(axis, ndim):
    if axis is None:
        return list(range(ndim))
    axes = [axis] if isinstance(axis, int) else list(axis)
    return sorted(a % ndim for a in axes)


def _keep(result, x, axis, keepdims):
    """Put back the reduced axes of `x` (as size 1) when `keepdims`."""
    if not keepdims:
        return result
    shape = list(x.shape)
    for a in _axes(axis, x.ndim):
        shape[a] = 1
    return result.reshape(shape)


def _to_last(x, axis):
    """`x` with the axes `axis` (None = all) moved to the end and flattened into one."""
    axes = _axes(axis, x.ndim)
    rest = [a for a in range(x.ndim) if a not in axes]
    x = x.permute(rest + axes)
    return x.reshape([x.shape[i] for i in range(len(rest))] + [-1])


# ---- conversion ----------------------------------------------------------------------------------

@keras_op
def array(x, dtype=None):
    """A tensor from a list, NumPy array, scalar or tensor (as `convert_to_tensor`)."""
    return to_tensor(x, dtype)


@keras_op
def view(x, dtype=None):
    """The same memory reinterpreted as `dtype` (the input itself when `dtype` is None)."""
    x = to_tensor(x)
    return x.view(config.to_torch_dtype(dtype)) if dtype is not None else x.view(x.shape)


@keras_op
def empty_like(x, dtype=None):
    """An uninitialised-content tensor like `x` (lamina fills it with zeros)."""
    x = to_tensor(x)
    return torch.zeros_like(x, dtype=x.dtype if dtype is None else config.to_torch_dtype(dtype))


# ---- elementwise: float functions of one argument ------------------------------------------------

def _unary_float(torch_fn, name, doc=None):
    def op(x):
        return torch_fn(_float(x))

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = doc
    return keras_op(op)


arccos = _unary_float(torch.acos, "arccos", "Inverse cosine, elementwise.")
arccosh = _unary_float(torch.acosh, "arccosh", "Inverse hyperbolic cosine, elementwise.")
arcsin = _unary_float(torch.asin, "arcsin", "Inverse sine, elementwise.")
arcsinh = _unary_float(torch.asinh, "arcsinh", "Inverse hyperbolic sine, elementwise.")
arctanh = _unary_float(torch.atanh, "arctanh", "Inverse hyperbolic tangent, elementwise.")
cosh = _unary_float(torch.cosh, "cosh", "Hyperbolic cosine, elementwise.")
sinh = _unary_float(torch.sinh, "sinh", "Hyperbolic sine, elementwise.")
fabs = _unary_float(torch.abs, "fabs", "Absolute value as a float, elementwise.")
sinc = _unary_float(torch.sinc, "sinc", "Normalised sinc: sin(pi x) / (pi x), 1 at 0.")
i0 = _unary_float(torch.special.i0, "i0", "Modified Bessel function of the first kind, order 0.")
deg2rad = _unary_float(torch.deg2rad, "deg2rad", "Degrees to radians.")
rad2deg = _unary_float(torch.rad2deg, "rad2deg", "Radians to degrees.")


@keras_op
def angle(x):
    """The argument (phase) of complex values; 0 or pi for real ones."""
    x = to_tensor(x)
    if x.is_complex():
        return torch.angle(x)
    return torch.angle(_float(x))


@keras_op
def cbrt(x):
    """Real cube root, elementwise (negative inputs give negative roots)."""
    x = _float(x)
    return torch.sign(x) * torch.abs(x).pow(1.0 / 3.0)


@keras_op
def trunc(x):
    """Round toward zero; integer inputs are returned unchanged."""
    x = to_tensor(x)
    return torch.trunc(x) if x.is_floating_point() else x


@keras_op
def conj(x):
    """Complex conjugate (real inputs are returned unchanged)."""
    x = to_tensor(x)
    return torch.conj(x).resolve_conj() if x.is_complex() else x


conjugate = conj


@keras_op
def real(x):
    x = to_tensor(x)
    return torch.real(x) if x.is_complex() else x


@keras_op
def imag(x):
    x = to_tensor(x)
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


@keras_op
def isreal(x):
    """True where the imaginary part is zero (everywhere for real dtypes)."""
    x = to_tensor(x)
    return torch.imag(x) == 0 if x.is_complex() else torch.ones_like(x, dtype=torch.bool)


@keras_op
def isneginf(x):
    x = to_tensor(x)
    return torch.isneginf(x) if x.is_floating_point() else torch.zeros_like(x, dtype=torch.bool)


@keras_op
def isposinf(x):
    x = to_tensor(x)
    return torch.isposinf(x) if x.is_floating_point() else torch.zeros_like(x, dtype=torch.bool)


@keras_op
def signbit(x):
    """True where the sign bit is set (negative numbers, -0.0, -inf)."""
    x = to_tensor(x)
    if x.dtype == torch.bool:
        return torch.zeros_like(x)
    return torch.signbit(x)


# ---- elementwise: two arguments ------------------------------------------------------------------

@keras_op
def arctan2(x1, x2):
    """Angle of the point (x2, x1), in radians, elementwise."""
    return torch.atan2(*_float_pair(x1, x2))


@keras_op
def hypot(x1, x2):
    """sqrt(x1**2 + x2**2), elementwise."""
    return torch.hypot(*_float_pair(x1, x2))


@keras_op
def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)), computed stably."""
    return torch.logaddexp(*_float_pair(x1, x2))


@keras_op
def logaddexp2(x1, x2):
    """log2(2**x1 + 2**x2), computed stably."""
    return torch.logaddexp2(*_float_pair(x1, x2))


@keras_op
def nextafter(x1, x2):
    """The next representable float after `x1` toward `x2`."""
    return torch.nextafter(*_float_pair(x1, x2))


@keras_op
def heaviside(x1, x2):
    """Step function: 0 where x1 < 0, `x2` where x1 == 0, 1 where x1 > 0 (float result)."""
    return torch.heaviside(*_float_pair(x1, x2))


def _bool_safe(fn, x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype == torch.bool:
        return fn(x1.to(torch.int8), x2.to(torch.int8)).to(torch.bool)
    return fn(x1, x2)


@keras_op
def fmax(x1, x2):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    return _bool_safe(torch.fmax, x1, x2)


@keras_op
def fmin(x1, x2):
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    return _bool_safe(torch.fmin, x1, x2)


@keras_op
def fmod(x1, x2):
    """Remainder with the sign of the dividend (C's fmod); bools give int32."""
    x1, x2 = _pair(x1, x2)
    if x1.dtype == torch.bool:
        x1, x2 = x1.to(torch.int32), x2.to(torch.int32)
    if x1.dtype in _INT_DTYPES:  # integer division by zero gives 0, as in Keras
        zero = x2 == 0
        return torch.where(zero, 0, torch.fmod(x1, torch.where(zero, 1, x2)))
    return torch.fmod(x1, x2)


def _integer_pair(name, x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype not in _INT_DTYPES:
        raise ValueError(f"{name} needs integer inputs, got {x1.dtype}.")
    return x1, x2


@keras_op
def gcd(x1, x2):
    """Greatest common divisor of integers, elementwise."""
    return torch.gcd(*_integer_pair("gcd", x1, x2))


@keras_op
def lcm(x1, x2):
    """Least common multiple of integers, elementwise."""
    return torch.lcm(*_integer_pair("lcm", x1, x2))


@keras_op
def ldexp(x1, x2):
    """x1 * 2**x2, with an integer exponent `x2`; the result is a float."""
    x1, x2 = tensor_operands(x1, x2)
    if x2.is_floating_point() or x2.is_complex() or x2.dtype == torch.bool:
        raise TypeError(f"ldexp: the exponent `x2` must be an integer, got {x2.dtype}.")
    x1 = _float(x1)
    return (x1 * torch.pow(2.0, x2.to(x1.dtype))).to(x1.dtype)


# ---- bitwise -------------------------------------------------------------------------------------

def _bitwise_operands(x, y):
    x, y = binary_operands(x, y)
    for value in (x, y):
        if isinstance(value, torch.Tensor) and (value.is_floating_point() or value.is_complex()):
            raise TypeError(f"Bitwise ops need integer or bool inputs, got {value.dtype}.")
        if isinstance(value, float):
            raise TypeError("Bitwise ops need integer or bool inputs, got a float.")
    return x, y


@keras_op
def bitwise_and(x, y):
    return torch.bitwise_and(*_bitwise_operands(x, y))


@keras_op
def bitwise_or(x, y):
    return torch.bitwise_or(*_bitwise_operands(x, y))


@keras_op
def bitwise_xor(x, y):
    return torch.bitwise_xor(*_bitwise_operands(x, y))


@keras_op
def bitwise_invert(x):
    x = to_tensor(x)
    if x.is_floating_point() or x.is_complex():
        raise TypeError(f"bitwise_invert needs integer or bool inputs, got {x.dtype}.")
    return torch.bitwise_not(x)


bitwise_not = bitwise_invert


@keras_op
def bitwise_left_shift(x, y):
    return torch.bitwise_left_shift(*_bitwise_operands(x, y))


@keras_op
def bitwise_right_shift(x, y):
    return torch.bitwise_right_shift(*_bitwise_operands(x, y))


left_shift = bitwise_left_shift
right_shift = bitwise_right_shift


# ---- nan-aware reductions ------------------------------------------------------------------------

def _fill_nan(x, value):
    return torch.where(torch.isnan(x), torch.as_tensor(value, dtype=x.dtype, device=x.device), x) \
        if x.is_floating_point() else x


@keras_op
def nansum(x, axis=None, keepdims=False):
    """Sum treating NaN as 0 (bools and small ints sum to int32)."""
    x = to_tensor(x)
    return torch.sum(_fill_nan(x, 0), dim=_dims(axis), keepdim=keepdims,
                     dtype=_accumulation_dtype(x.dtype))


@keras_op
def nanprod(x, axis=None, keepdims=False):
    """Product treating NaN as 1 (integer inputs give int32 as in Keras)."""
    from lamina.ops.numpy import prod

    x = to_tensor(x)
    dtype = x.dtype if x.is_floating_point() or x.is_complex() else torch.int32
    return prod(_fill_nan(x, 1), axis=axis, keepdims=keepdims, dtype=config.dtype_name(dtype))


@keras_op
def nanmean(x, axis=None, keepdims=False):
    """Mean over the non-NaN values (NaN where there are none)."""
    return torch.nanmean(_float(x), dim=_dims(axis), keepdim=keepdims)


@keras_op
def nanvar(x, axis=None, keepdims=False):
    """Population variance over the non-NaN values."""
    x = _float(x)
    dim = _dims(axis)
    mean = torch.nanmean(x, dim=dim, keepdim=True)
    return torch.nanmean(torch.square(x - mean), dim=dim, keepdim=keepdims)


@keras_op
def nanstd(x, axis=None, keepdims=False):
    """Population standard deviation over the non-NaN values."""
    return torch.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _nan_extreme(reduce, fill, x, axis, keepdims):
    x = to_tensor(x)
    dim = () if axis is None else _dims(axis)
    if not x.is_floating_point():
        return reduce(x, dim=dim, keepdim=keepdims)
    result = reduce(_fill_nan(x, fill), dim=dim, keepdim=keepdims)
    if axis is None:
        all_nan = torch.isnan(x).all().reshape(result.shape)
    else:
        all_nan = torch.isnan(x)
        for a in sorted(_axes(axis, x.ndim), reverse=True):
            all_nan = all_nan.all(dim=a, keepdim=keepdims)
    return torch.where(all_nan, torch.as_tensor(float("nan"), dtype=x.dtype, device=x.device),
                       result)


@keras_op
def nanmax(x, axis=None, keepdims=False):
    """Maximum ignoring NaN (NaN where every value is NaN)."""
    return _nan_extreme(torch.amax, float("-inf"), x, axis, keepdims)


@keras_op
def nanmin(x, axis=None, keepdims=False):
    """Minimum ignoring NaN (NaN where every value is NaN)."""
    return _nan_extreme(torch.amin, float("inf"), x, axis, keepdims)


@keras_op
def nanargmax(x, axis=None, keepdims=False):
    """Index (int32) of the maximum, ignoring NaN."""
    x = to_tensor(x)
    return _arg_extreme(torch.argmax, _fill_nan(x, float("-inf")), axis, keepdims)


@keras_op
def nanargmin(x, axis=None, keepdims=False):
    """Index (int32) of the minimum, ignoring NaN."""
    x = to_tensor(x)
    return _arg_extreme(torch.argmin, _fill_nan(x, float("inf")), axis, keepdims)


@keras_op
def nancumsum(x, axis=None, dtype=None):
    """Cumulative sum treating NaN as 0."""
    from lamina.ops.numpy import cumsum

    return cumsum(_fill_nan(to_tensor(x), 0), axis=axis, dtype=dtype)


@keras_op
def nancumprod(x, axis=None, dtype=None):
    """Cumulative product treating NaN as 1."""
    from lamina.ops.numpy import cumprod

    return cumprod(_fill_nan(to_tensor(x), 1), axis=axis, dtype=dtype)


# ---- quantiles -----------------------------------------------------------------------------------

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x, q, axis, method, keepdims, ignore_nan):
    if method not in _METHODS:
        raise ValueError(f"Invalid method {method!r}: expected one of {_METHODS}.")
    x = _float(x)
    out_dtype = x.dtype
    work = x.to(torch.float64 if out_dtype == torch.float64 else torch.float32)
    q = to_tensor(q, dtype=work.dtype, device=work.device)
    flat = _to_last(work, axis)
    fn = torch.nanquantile if ignore_nan else torch.quantile
    result = fn(flat, q, dim=-1, interpolation=method)  # q's shape comes first
    if keepdims:
        shape = list(x.shape)
        for a in _axes(axis, x.ndim):
            shape[a] = 1
        result = result.reshape(tuple(q.shape) + tuple(shape))
    return result.to(out_dtype)


@keras_op
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantiles (q in [0, 1]) along `axis`; `q`'s shape leads the result's."""
    return _quantile(x, q, axis, method, keepdims, ignore_nan=False)


@keras_op
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """`quantile` ignoring NaN values."""
    return _quantile(x, q, axis, method, keepdims, ignore_nan=True)


@keras_op
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentiles (q in [0, 100]) along `axis`."""
    return _quantile(x, to_tensor(q, dtype="float64") / 100, axis, method, keepdims, False)


@keras_op
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """`percentile` ignoring NaN values."""
    return _quantile(x, to_tensor(q, dtype="float64") / 100, axis, method, keepdims, True)


@keras_op
def median(x, axis=None, keepdims=False):
    """Median along `axis` (the mean of the two middle values for even counts)."""
    return _quantile(x, 0.5, axis, "linear", keepdims, ignore_nan=False)


@keras_op
def nanmedian(x, axis=None, keepdims=False):
    """Median ignoring NaN values."""
    return _quantile(x, 0.5, axis, "linear", keepdims, ignore_nan=True)


@keras_op
def ptp(x, axis=None, keepdims=False):
    """Peak to peak: max - min along `axis` (same dtype as `x`)."""
    x = to_tensor(x)
    if x.dtype == torch.bool:
        raise TypeError("ptp does not support bool inputs.")
    dim = () if axis is None else _dims(axis)
    return torch.amax(x, dim=dim, keepdim=keepdims) - torch.amin(x, dim=dim, keepdim=keepdims)


# ---- windows -------------------------------------------------------------------------------------

def _window_length(x):
    return int(to_tensor(x).item()) if not isinstance(x, int) else x


def _window(torch_fn, x, **kwargs):
    length = _window_length(x)
    if length <= 0:
        return torch.zeros((0,), dtype=_floatx(), device=default_device())
    return torch_fn(length, periodic=False, dtype=torch.float64, device=default_device(),
                    **kwargs).to(_floatx())


def bartlett(x):
    """Bartlett (triangular) window of `x` points."""
    return _window(torch.bartlett_window, x)


def blackman(x):
    """Blackman window of `x` points."""
    return _window(torch.blackman_window, x)


def hamming(x):
    """Hamming window of `x` points."""
    return _window(torch.hamming_window, x)


def hanning(x):
    """Hann window of `x` points."""
    return _window(torch.hann_window, x)


def kaiser(x, beta):
    """Kaiser window of `x` points with shape parameter `beta`."""
    return _window(torch.kaiser_window, x, beta=float(beta))


# ---- splitting and stacking ----------------------------------------------------------------------

@keras_op
def array_split(x, indices_or_sections, axis=0):
    """Like `split`, but `n` sections need not divide the axis (the first ones get one more)."""
    x = to_tensor(x)
    if isinstance(indices_or_sections, int):
        return list(torch.tensor_split(x, indices_or_sections, dim=axis))
    return list(torch.tensor_split(x, [int(i) for i in indices_or_sections], dim=axis))


@keras_op
def vsplit(x, indices_or_sections):
    """`split` along axis 0."""
    return split(x, indices_or_sections, axis=0)


@keras_op
def hsplit(x, indices_or_sections):
    """`split` along axis 1 (axis 0 for 1-D inputs)."""
    x = to_tensor(x)
    return split(x, indices_or_sections, axis=1 if x.ndim > 1 else 0)


@keras_op
def dsplit(x, indices_or_sections):
    """`split` along axis 2 (inputs need at least 3 dimensions)."""
    x = to_tensor(x)
    if x.ndim < 3:
        raise ValueError(f"dsplit needs an input with at least 3 dimensions, got {x.ndim}.")
    return split(x, indices_or_sections, axis=2)


@keras_op
def dstack(xs):
    """Stack along the third axis (1-D and 2-D inputs are first made 3-D)."""
    return torch.dstack(_same_dtype(xs))


# ---- rearranging ---------------------------------------------------------------------------------

@keras_op
def rot90(array, k=1, axes=(0, 1)):
    """Rotate by 90 degrees `k` times in the plane of `axes` (from the first toward the second)."""
    x = to_tensor(array)
    if x.ndim < 2:
        raise ValueError(f"rot90 needs an input with at least 2 dimensions, got {x.ndim}.")
    return torch.rot90(x, k, dims=tuple(axes))


@keras_op
def fliplr(x):
    """Reverse axis 1."""
    x = to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"fliplr needs an input with at least 2 dimensions, got {x.ndim}.")
    return torch.fliplr(x)


@keras_op
def flipud(x):
    """Reverse axis 0."""
    x = to_tensor(x)
    if x.ndim < 1:
        raise ValueError("flipud needs an input with at least 1 dimension.")
    return torch.flipud(x)


@keras_op
def roll(x, shift, axis=None):
    """Shift elements along `axis` (of the flattened input when None), wrapping around."""
    x = to_tensor(x)
    if axis is None:
        return torch.roll(x.reshape(-1), shift).reshape(x.shape)
    return torch.roll(x, shift, dims=axis)


@keras_op
def diagflat(x, k=0):
    """A 2-D tensor with the flattened input on diagonal `k`."""
    return torch.diagflat(to_tensor(x), offset=k)


@keras_op
def diff(a, n=1, axis=-1):
    """The `n`-th discrete difference along `axis`."""
    return torch.diff(to_tensor(a), n=n, dim=axis)


# ---- products ------------------------------------------------------------------------------------

@keras_op
def inner(x1, x2):
    """Inner product over the last axes (a product for scalars)."""
    x1, x2 = _pair(x1, x2)
    if x1.dtype == torch.bool:
        return torch.inner(x1.to(torch.int32), x2.to(torch.int32)).to(torch.bool)
    return torch.inner(x1, x2)


@keras_op
def kron(x1, x2):
    """Kronecker product."""
    return torch.kron(*_pair(x1, x2))


@keras_op
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or 2-vectors, whose z components are taken as 0)."""
    x1, x2 = _pair(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = torch.movedim(x1, axisa, -1), torch.movedim(x2, axisb, -1)
    if x1.shape[-1] == 2 and x2.shape[-1] == 2:
        return x1[..., 0] * x2[..., 1] - x1[..., 1] * x2[..., 0]
    if x1.shape[-1] == 2:
        x1 = torch.cat([x1, torch.zeros_like(x1[..., :1])], dim=-1)
    if x2.shape[-1] == 2:
        x2 = torch.cat([x2, torch.zeros_like(x2[..., :1])], dim=-1)
    x1, x2 = torch.broadcast_tensors(x1, x2)
    return torch.movedim(torch.linalg.cross(x1, x2, dim=-1), -1, axisc)


@keras_op
def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D sequences (`mode`: "valid", "same" or "full")."""
    x1, x2 = _float_pair(x1, x2)
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"Invalid mode {mode!r}: expected 'valid', 'same' or 'full'.")
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError("correlate only supports 1-D inputs.")
    n, m = x1.shape[0], x2.shape[0]
    if n < m:  # NumPy swaps the operands (and reverses the result)
        return torch.flip(correlate(x2, x1, mode=mode), dims=(0,))
    pad = {"valid": (0, 0), "full": (m - 1, m - 1), "same": (m // 2, m - 1 - m // 2)}[mode]
    signal = torch.nn.functional.pad(x1, pad)
    windows = signal.unfold(0, m, 1)
    return windows @ x2


@keras_op
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of `y` along `axis` by the trapezoidal rule (samples at `x`, or spaced `dx`)."""
    y = _float(y)
    if x is None:
        return torch.trapezoid(y, dx=dx, dim=axis)
    return torch.trapezoid(y, to_tensor(x, dtype=y.dtype, device=y.device), dim=axis)


@keras_op
def vander(x, N=None, increasing=False):
    """Vandermonde matrix: powers of the 1-D `x` (decreasing unless `increasing`)."""
    x = to_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander needs a 1-D input, got {x.ndim} dimensions.")
    n = x.shape[0] if N is None else int(N)
    powers = torch.arange(n, device=x.device)
    if not increasing:
        powers = powers.flip(0)
    return (x[:, None] ** powers.to(x.dtype)).to(x.dtype)


@keras_op
def corrcoef(x):
    """Pearson correlation coefficients of the rows of `x`."""
    return torch.corrcoef(_float(x))


@keras_op
def slogdet(x):
    """(sign, log|det|) of square matrices."""
    x = _float(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"slogdet needs square matrices (shape [..., n, n]), got {tuple(x.shape)}."
        )
    sign, logabsdet = torch.linalg.slogdet(x)
    return sign, logabsdet


# ---- searching, counting, sets -------------------------------------------------------------------

@keras_op
def digitize(x, bins):
    """Index (int32) of the bin of each value: i such that bins[i-1] <= x < bins[i]."""
    x = to_tensor(x)
    bins = to_tensor(bins, device=x.device)
    x, bins = _same_dtype([x, bins])
    if x.dtype == torch.bool:
        x, bins = x.to(torch.int32), bins.to(torch.int32)
    decreasing = bins.numel() > 1 and bool(bins[0] > bins[-1])
    if decreasing:
        return (bins.numel() - torch.bucketize(x.contiguous(), bins.flip(0), right=True)).to(
            torch.int32)
    return torch.bucketize(x.contiguous(), bins, right=True).to(torch.int32)  # (no warning)


@keras_op
def searchsorted(sorted_sequence, values, side="left"):
    """Insertion indices (int32) of `values` into the 1-D ascending `sorted_sequence`."""
    if side not in ("left", "right"):
        raise ValueError(f"Invalid side {side!r}: expected 'left' or 'right'.")
    seq = to_tensor(sorted_sequence)
    if seq.ndim != 1:
        raise ValueError(f"searchsorted needs a 1-D sorted_sequence, got {seq.ndim} dimensions.")
    seq, values = _same_dtype([seq, to_tensor(values, device=seq.device)])
    if seq.dtype == torch.bool:
        seq, values = seq.to(torch.int32), values.to(torch.int32)
    return torch.searchsorted(seq, values.contiguous(), right=side == "right").to(torch.int32)


@keras_op
def isin(x1, x2, assume_unique=False, invert=False):
    """True where an element of `x1` occurs in `x2` (False with `invert=True`)."""
    x1, x2 = _pair(x1, x2)
    return torch.isin(x1, x2, assume_unique=assume_unique, invert=invert)


@keras_op
def histogram(x, bins=10, range=None):
    """(counts, bin_edges) of `bins` equal-width bins over `range` (default: min to max)."""
    x = _float(x)
    work = x.reshape(-1).to(torch.float64 if x.dtype == torch.float64 else torch.float32)
    if range is None:
        low, high = (work.min().item(), work.max().item()) if work.numel() else (0.0, 1.0)
    else:
        low, high = float(range[0]), float(range[1])
    if low == high:
        low, high = low - 0.5, high + 0.5
    edges = torch.linspace(low, high, bins + 1, dtype=torch.float64, device=x.device)
    inside = work[(work >= low) & (work <= high)]
    index = ((inside.to(torch.float64) - low) / (high - low) * bins).floor().long()
    index = index.clamp_(0, bins - 1)
    counts = torch.bincount(index, minlength=bins)
    return counts.to(x.dtype), edges.to(x.dtype)


@keras_op
def bincount(x, weights=None, minlength=0, sparse=False):
    """Occurrences of each non-negative integer (weighted sums with `weights`); 2-D inputs are
    counted row by row."""
    if sparse:
        raise ValueError("lamina tensors are dense: `sparse=True` is not supported.")
    x = to_tensor(x)
    if x.is_floating_point() or x.is_complex():
        raise TypeError(f"bincount needs integer inputs, got {x.dtype}.")
    x = x.long()
    length = builtins.max(int(minlength), int(x.max().item()) + 1 if x.numel() else 0)
    if weights is None:
        dtype = torch.int32
        weights_t = torch.ones_like(x, dtype=torch.int32)
    else:
        weights_t = to_tensor(weights, device=x.device)
        dtype = weights_t.dtype if weights_t.is_floating_point() else torch.int32
        weights_t = weights_t.to(dtype)
    if x.ndim == 1:
        out = torch.zeros(length, dtype=dtype, device=x.device)
        return out.scatter_add_(0, x, weights_t)
    out = torch.zeros((x.shape[0], length), dtype=dtype, device=x.device)
    return out.scatter_add_(1, x, weights_t)


@keras_op
def nonzero(x):
    """The indices (a tuple of int32 tensors, one per axis) of the non-zero elements."""
    return tuple(i.to(torch.int32) for i in torch.nonzero(to_tensor(x), as_tuple=True))


@keras_op
def argpartition(x, kth, axis=-1):
    """Indices (int32) that partition `x` around its `kth` element along `axis`.

    lamina returns a full (stable) sort order, which is one valid partition.
    """
    x, axis = _flat_or(to_tensor(x), axis)
    if x.dtype == torch.bool:
        raise TypeError("argpartition does not support bool inputs.")
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op
def unravel_index(indices, shape):
    """Flat indices as a tuple of coordinate tensors (one per dimension of `shape`)."""
    indices = to_tensor(indices)
    dtype = indices.dtype if indices.dtype in _INT_DTYPES else torch.int32
    coords = []
    remaining = indices.long()
    for dim in reversed([int(d) for d in shape]):
        coords.append((remaining % dim).to(dtype))
        remaining = remaining // dim
    return tuple(reversed(coords))


@keras_op
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    """The unique elements (sorted), optionally with first indices, inverse and counts (int32).

    `size` pads (with `fill_value`, default the smallest value) or truncates the unique values to a
    fixed length.
    """
    x = to_tensor(x)
    flat = x.reshape(-1) if axis is None else x
    dim = 0 if axis is None else axis
    values, inverse, counts = torch.unique(flat, sorted=True, return_inverse=True,
                                           return_counts=True, dim=dim)
    n = values.shape[dim]
    index = None
    if return_index:
        positions = torch.arange(inverse.shape[0], device=x.device)
        index = torch.full((n,), inverse.shape[0], dtype=torch.long, device=x.device)
        index = index.scatter_reduce(0, inverse, positions, reduce="amin")
    if size is not None:
        values = _resize(values, size, dim, fill_value)
        counts = _resize(counts, size, 0, 0)
        if index is not None:
            index = _resize(index, size, 0, 0)
    if axis is None and return_inverse:
        inverse = inverse.reshape(x.shape)
    results = [values]
    if return_index:
        results.append(index.to(torch.int32))
    if return_inverse:
        results.append(inverse.to(torch.int32))
    if return_counts:
        results.append(counts.to(torch.int32))
    return results[0] if len(results) == 1 else tuple(results)


def _resize(t, size, dim, fill_value):
    n = t.shape[dim]
    if n >= size:
        return t.narrow(dim, 0, size)
    if fill_value is None:
        pad = t.narrow(dim, 0, 1) if n else torch.zeros_like(t.narrow(dim, 0, 0))
    else:
        pad_shape = list(t.shape)
        pad_shape[dim] = 1
        pad = torch.full(pad_shape, fill_value, dtype=t.dtype, device=t.device)
    reps = [1] * t.ndim
    reps[dim] = size - n
    return torch.cat([t, pad.repeat(reps)], dim=dim)


@keras_op
def select(condlist, choicelist, default=0):
    """The element of the first choice whose condition holds, else `default`."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: condlist and choicelist must have the same length.")
    if not condlist:
        raise ValueError("select: condlist must not be empty.")
    choices = _same_dtype(list(choicelist))
    device = choices[0].device
    conds = [to_tensor(c, device=device).to(torch.bool) for c in condlist]
    result = torch.as_tensor(default, dtype=choices[0].dtype, device=device)
    for cond, choice in zip(reversed(conds), reversed(choices)):
        result = torch.where(cond, choice, result)
    shape = torch.broadcast_shapes(*[c.shape for c in conds], *[c.shape for c in choices])
    return torch.broadcast_to(result, shape)


# ---- creation ------------------------------------------------------------------------------------

def _scaled_linspace(start, stop, num, endpoint, dtype, axis, transform):
    samples = transform(linspace(start, stop, num=num, endpoint=endpoint, dtype="float64",
                                 axis=axis))
    if dtype is None:
        return samples.to(_floatx())
    return samples.to(config.to_torch_dtype(dtype))


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """`num` samples evenly spaced on a log scale: base**start to base**stop."""
    base = to_tensor(base, dtype="float64")
    return _scaled_linspace(start, stop, num, endpoint, dtype, axis,
                            lambda t: torch.pow(base.to(t.device), t))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`num` samples in geometric progression from `start` to `stop`."""
    start_t = to_tensor(start, dtype="float64")
    stop_t = to_tensor(stop, dtype="float64")
    if bool(torch.any(start_t == 0)) or bool(torch.any(stop_t == 0)):
        raise ValueError("geomspace: `start` and `stop` must be non-zero.")
    sign = torch.sign(start_t)
    samples = _scaled_linspace(torch.log(torch.abs(start_t)), torch.log(torch.abs(stop_t)), num,
                               endpoint, "float64", axis, torch.exp)
    samples = samples * sign
    # exact end points, as NumPy guarantees
    samples = torch.movedim(samples, axis, 0).clone()
    samples[0] = start_t
    if endpoint and num > 1:
        samples[-1] = stop_t
    samples = torch.movedim(samples, 0, axis)
    return samples.to(_dtype_or_floatx(dtype))


# ---- vectorize -----------------------------------------------------------------------------------

_CORE_DIMS = re.compile(r"\(([^()]*)\)")


def _parse_signature(signature):
    inputs, outputs = signature.replace(" ", "").split("->")

    def dims(part):
        return [tuple(d for d in group.split(",") if d) for group in _CORE_DIMS.findall(part)]

    return dims(inputs), dims(outputs)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` turned into a function that broadcasts over the leading (loop) dimensions of its
    tensor arguments, with `torch.vmap`. `signature` ("(n),(n)->()") names the core dimensions
    each argument keeps; `excluded` lists positions/names of arguments passed through as they are.
    """
    excluded = set(excluded or ())
    core_in = _parse_signature(signature)[0] if signature is not None else None

    def wrapper(*args, **kwargs):
        positions = [i for i in builtins.range(len(args)) if i not in excluded]
        tensors = [to_tensor(args[i]) for i in positions]
        fixed_kwargs = {k: v for k, v in kwargs.items() if k in excluded}
        free_kwargs = {k: to_tensor(v) for k, v in kwargs.items() if k not in excluded}
        names = list(free_kwargs)
        all_tensors = tensors + [free_kwargs[k] for k in names]
        if core_in is not None:
            cores = [len(c) for c in core_in] + [0] * (len(all_tensors) - len(core_in))
        else:
            cores = [0] * len(all_tensors)
        loop_shapes = [t.shape[:t.ndim - c] for t, c in zip(all_tensors, cores)]
        loop_shape = torch.broadcast_shapes(*loop_shapes) if loop_shapes else torch.Size()
        flat = [t.broadcast_to(tuple(loop_shape) + tuple(t.shape[t.ndim - c:]))
                .reshape((-1,) + tuple(t.shape[t.ndim - c:])) for t, c in zip(all_tensors, cores)]

        def call(*items):
            call_args = list(args)
            for i, item in zip(positions, items[:len(positions)]):
                call_args[i] = item
            call_kwargs = dict(fixed_kwargs)
            call_kwargs.update(zip(names, items[len(positions):]))
            return pyfunc(*call_args, **call_kwargs)

        if not flat:
            return pyfunc(*args, **kwargs)
        result = torch.vmap(call)(*flat)

        def unflatten(t):
            return t.reshape(tuple(loop_shape) + tuple(t.shape[1:]))

        if isinstance(result, (tuple, list)):
            return type(result)(unflatten(t) for t in result)
        return unflatten(result)

    return wrapper


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__
           and not name.startswith("_")]
