"""Math ops Keras keeps outside its NumPy set: erf, logsumexp, top_k, segment reductions, FFTs.

Complex results follow Keras: the FFT family takes and returns `(real, imag)` pairs of float
tensors instead of complex tensors (`view_as_complex` / `view_as_real` convert).
"""

import numpy as np
import torch

from lamina.ops.core import to_tensor
from lamina.ops.numpy import _dims, _float
from lamina.symbolic.dispatch import keras_op


@keras_op
def erf(x):
    return torch.erf(_float(x))


@keras_op
def erfinv(x):
    return torch.erfinv(_float(x))


@keras_op
def logsumexp(x, axis=None, keepdims=False):
    """`log(sum(exp(x)))` computed without overflow."""
    x = _float(x)
    dims = tuple(range(x.ndim)) if axis is None else _dims(axis)
    return torch.logsumexp(x, dim=dims, keepdim=keepdims)


@keras_op
def top_k(x, k, sorted=True):
    """The `k` largest values along the last axis and their int32 indices."""
    values, indices = torch.topk(to_tensor(x), k, dim=-1, sorted=sorted)
    return values, indices.to(torch.int32)


@keras_op
def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` highest predictions of its row.

    A target outside `[0, num_classes)` (or whose score is NaN) is never in the top k.
    """
    predictions = to_tensor(predictions)
    targets = to_tensor(targets, device=predictions.device).long()
    num_classes = predictions.shape[-1]
    valid = (targets >= 0) & (targets < num_classes)
    target_scores = torch.gather(predictions, -1, targets.clamp(0, num_classes - 1)[..., None])
    # Count strictly better classes, so ties with the k-th value count as "in the top k".
    better = torch.sum(predictions > target_scores, dim=-1)
    return (better < k) & valid & ~torch.isnan(target_scores[..., 0])


@keras_op
def erfc(x):
    return torch.erfc(_float(x))


@keras_op
def logdet(x):
    """Log of the determinant of a (hermitian positive definite) matrix."""
    return torch.logdet(_float(x))


# ---- segment reductions --------------------------------------------------------------------

def _segment_reduce(data, segment_ids, num_segments, reduce):
    data = to_tensor(data)
    segment_ids = to_tensor(segment_ids, device=data.device)
    if segment_ids.ndim != 1:
        raise ValueError(
            f"segment_ids must be a 1-D vector. Received shape {tuple(segment_ids.shape)}; "
            "flatten data and segment_ids first, or vectorize with vmap."
        )
    if segment_ids.shape[0] != data.shape[0]:
        raise ValueError(
            "segment_ids and data must have the same leading dimension. Received "
            f"{tuple(segment_ids.shape)} and {tuple(data.shape)}."
        )
    segment_ids = segment_ids.long()
    if num_segments is None:
        num_segments = int(segment_ids.max()) + 1 if segment_ids.numel() else 0
    num_segments = int(num_segments)
    # Ids outside [0, num_segments) go to an extra row that is dropped at the end.
    segment_ids = torch.where((segment_ids >= 0) & (segment_ids < num_segments),
                              segment_ids, num_segments)
    if data.dtype.is_floating_point:
        low, high = -float("inf"), float("inf")
    elif data.dtype == torch.bool:
        low, high = False, True
    else:
        info = torch.iinfo(data.dtype)
        low, high = info.min, info.max
    initial = {"sum": 0, "prod": 1, "amax": low, "amin": high}[reduce]
    out_shape = (num_segments + 1,) + tuple(data.shape[1:])
    work_dtype = torch.int32 if data.dtype == torch.bool else data.dtype
    result = torch.full(out_shape, initial, dtype=work_dtype, device=data.device)
    index = segment_ids.reshape((-1,) + (1,) * (data.ndim - 1)).expand(data.shape)
    result = result.scatter_reduce(0, index, data.to(work_dtype), reduce, include_self=True)
    return result[:num_segments].to(data.dtype)


@keras_op
def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sum of the rows of `data` that share a segment id (one result row per segment)."""
    return _segment_reduce(data, segment_ids, num_segments, "sum")


@keras_op
def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Maximum of the rows of `data` with each segment id (empty segments: the dtype's lowest)."""
    return _segment_reduce(data, segment_ids, num_segments, "amax")


@keras_op
def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Minimum of the rows of `data` with each segment id (empty segments: the dtype's highest)."""
    return _segment_reduce(data, segment_ids, num_segments, "amin")


@keras_op
def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Product of the rows of `data` that share a segment id (empty segments: 1)."""
    return _segment_reduce(data, segment_ids, num_segments, "prod")


# ---- distances and sequences ---------------------------------------------------------------

@keras_op
def cdist(x, y):
    """Euclidean distances between the rows of `x` `(..., m, d)` and `y` `(..., n, d)`."""
    x, y = _float(x), _float(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(
            f"cdist inputs must have rank >= 2. Received shapes {tuple(x.shape)}, "
            f"{tuple(y.shape)}."
        )
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "The last dimension of the inputs to cdist must match. Received shapes "
            f"{tuple(x.shape)} and {tuple(y.shape)}."
        )
    dtype = torch.promote_types(x.dtype, y.dtype)
    diff = x.to(dtype).unsqueeze(-2) - y.to(dtype).unsqueeze(-3)
    return torch.sqrt(torch.sum(diff * diff, dim=-1))


@keras_op
def extract_sequences(x, sequence_length, sequence_stride):
    """Windows of `sequence_length` taken every `sequence_stride` along the last axis."""
    x = to_tensor(x)
    if x.ndim < 1:
        raise ValueError("extract_sequences needs an input of rank >= 1.")
    return x.unfold(-1, int(sequence_length), int(sequence_stride)).contiguous()


# ---- complex numbers and FFTs --------------------------------------------------------------

def _complex_from_pair(x):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            "Expected a tuple (real, imag) of two float tensors for the complex input. "
            f"Received: {type(x).__name__}."
        )
    real, imag = to_tensor(x[0]), to_tensor(x[1])
    if real.shape != imag.shape:
        raise ValueError(
            "The real and imaginary parts must have the same shape. Received "
            f"{tuple(real.shape)} and {tuple(imag.shape)}."
        )
    if not (real.is_floating_point() and imag.is_floating_point()):
        raise ValueError(
            "The real and imaginary parts must be float tensors. Received dtypes "
            f"{real.dtype} and {imag.dtype}."
        )
    dtype = torch.promote_types(real.dtype, imag.dtype)
    if dtype in (torch.float16, torch.bfloat16):
        dtype = torch.float32
    return torch.complex(real.to(dtype), imag.to(device=real.device, dtype=dtype))


def _pair(z):
    return z.real.contiguous(), z.imag.contiguous()


@keras_op
def fft(x):
    """FFT along the last axis of the complex `x = (real, imag)`; returns `(real, imag)`."""
    return _pair(torch.fft.fft(_complex_from_pair(x)))


@keras_op
def fft2(x):
    """2-D FFT over the last two axes of `x = (real, imag)`; returns `(real, imag)`."""
    return _pair(torch.fft.fft2(_complex_from_pair(x)))


@keras_op
def ifft2(x):
    """Inverse 2-D FFT over the last two axes of `x = (real, imag)`; returns `(real, imag)`."""
    return _pair(torch.fft.ifft2(_complex_from_pair(x)))


@keras_op
def rfft(x, fft_length=None):
    """FFT of the real `x` along its last axis: the `fft_length // 2 + 1` non-negative bins."""
    return _pair(torch.fft.rfft(_float(x), n=fft_length, dim=-1))


@keras_op
def irfft(x, fft_length=None):
    """Inverse of `rfft`: a real signal (of `fft_length` samples) from `(real, imag)` bins."""
    return torch.fft.irfft(_complex_from_pair(x), n=fft_length, dim=-1)


def _window(window, sequence_length, fft_length, dtype, device):
    """The analysis window, zero-padded in the middle of `fft_length` samples."""
    if window is None:
        win = torch.ones(sequence_length, dtype=dtype, device=device)
    elif isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                f'A string window must be "hann" or "hamming". Received: window={window!r}.'
            )
        make = torch.hann_window if window == "hann" else torch.hamming_window
        win = make(sequence_length, periodic=True, dtype=dtype, device=device)
    else:
        win = to_tensor(window, dtype=dtype, device=device)
        if win.shape != (sequence_length,):
            raise ValueError(
                f"The window must have shape ({sequence_length},) (sequence_length). "
                f"Received shape {tuple(win.shape)}."
            )
    left = (fft_length - sequence_length) // 2
    return torch.nn.functional.pad(win, (left, fft_length - sequence_length - left))


def _check_stft_args(sequence_length, sequence_stride, fft_length):
    if not isinstance(sequence_stride, int) or sequence_stride <= 0:
        raise ValueError(
            f"sequence_stride must be a positive integer. Received: {sequence_stride!r}."
        )
    if fft_length < sequence_length:
        raise ValueError(
            f"fft_length ({fft_length}) must be at least sequence_length ({sequence_length})."
        )


@keras_op
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform along the last axis; returns `(real, imag)` of shape
    `(..., num_sequences, fft_length // 2 + 1)`."""
    _check_stft_args(sequence_length, sequence_stride, fft_length)
    x = _float(x)
    if x.dtype not in (torch.float32, torch.float64):
        x = x.float()
    if center:
        pad = fft_length // 2
        batch_shape = x.shape[:-1]
        flat = x.reshape(-1, 1, x.shape[-1])
        x = torch.nn.functional.pad(flat, (pad, pad), mode="reflect").reshape(
            *batch_shape, -1)
    win = _window(window, sequence_length, fft_length, x.dtype, x.device)
    frames = x.unfold(-1, fft_length, sequence_stride) * win
    return _pair(torch.fft.rfft(frames, n=fft_length, dim=-1))


@keras_op
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """Inverse of `stft`: overlap-adds the inverse FFTs of the `(real, imag)` frames,
    normalised by the overlapping squared window; `length` trims the result."""
    _check_stft_args(sequence_length, sequence_stride, fft_length)
    frames = torch.fft.irfft(_complex_from_pair(x), n=fft_length, dim=-1)
    batch_shape, num_frames = frames.shape[:-2], frames.shape[-2]
    win = _window(window, sequence_length, fft_length, frames.dtype, frames.device)
    output_length = fft_length + sequence_stride * (num_frames - 1)

    def overlap_add(values):  # (B, N, fft_length) -> (B, output_length)
        return torch.nn.functional.fold(
            values.transpose(1, 2), output_size=(1, output_length),
            kernel_size=(1, fft_length), stride=(1, sequence_stride),
        ).reshape(values.shape[0], output_length)

    flat = (frames * win).reshape(-1, num_frames, fft_length)
    signal = overlap_add(flat)
    envelope = overlap_add((win * win).expand(1, num_frames, fft_length))[0]
    signal = signal / torch.where(envelope > 1e-11, envelope, torch.ones_like(envelope))
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = output_length - fft_length // 2
    else:
        end = output_length
    return signal[:, start:end].reshape(*batch_shape, -1)


@keras_op
def view_as_complex(x):
    """A complex64 tensor from a real tensor whose last axis (size 2) holds (real, imag)."""
    x = to_tensor(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(
            "The last dimension of the input must have size 2 (real and imaginary). "
            f"Received shape {tuple(x.shape)}."
        )
    x = x.to(torch.float32)
    return torch.complex(x[..., 0], x[..., 1])


@keras_op
def view_as_real(x):
    """A real tensor of shape `x.shape + (2,)` holding the real and imaginary parts of `x`."""
    if isinstance(x, np.ndarray) and x.dtype == np.complex128:
        x = x.astype(np.complex64)  # as float64 arrays become floatx
    x = to_tensor(x)
    if not x.is_complex():
        x = _float(x)
        return torch.stack([x, torch.zeros_like(x)], dim=-1)
    return torch.view_as_real(x.resolve_conj()).clone()


# `keras.ops.<linalg op>` exists flat too: expose lamina.ops.linalg's ops from here, since
# `lamina.ops` re-exports this module's `__all__`.
from lamina.ops.linalg import __all__ as _linalg_names  # noqa: E402
from lamina.ops import linalg as _linalg  # noqa: E402

globals().update({name: getattr(_linalg, name) for name in _linalg_names if name != "norm"})

__all__ = [
    "erf", "erfc", "erfinv", "logdet", "logsumexp", "top_k", "in_top_k",
    "segment_sum", "segment_max", "segment_min", "segment_prod",
    "cdist", "extract_sequences",
    "fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft", "view_as_complex", "view_as_real",
] + [name for name in _linalg_names if name != "norm"]
