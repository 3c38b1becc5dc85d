"""Float8 helpers: delayed scaling (a scale from a history of absolute maxima, as NVIDIA's
Transformer Engine computes it) and simulated float8 rounding."""

import torch

from lamina import config
from lamina.quantizers import _tensors
from lamina.registry.object_registry import keras_export

_FLOAT8 = {"float8_e4m3fn": torch.float8_e4m3fn, "float8_e5m2": torch.float8_e5m2}


@keras_export("quantizers.compute_float8_scale", package=False)
def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The new scale for float8 values: `amax / dtype_max * 2**margin`, or the current `scale`
    where `amax` is zero or not finite.

    Args:
        amax: The largest absolute value seen (from `compute_float8_amax_history`).
        scale: The current scale (values are divided by it before the float8 cast).
        dtype_max: The largest finite value of the float8 type (448 for e4m3fn, 57344 for
            e5m2).
        margin: Extra headroom, as a power of two.
    """
    amax, scale = _tensors.as_tensor(amax), _tensors.as_tensor(scale)
    factor = dtype_max / amax / 2**margin
    keep = ~((amax > 0.0) & torch.isfinite(amax))
    factor = torch.where(keep, torch.reciprocal(scale), factor)
    return torch.reciprocal(factor)


@keras_export("quantizers.compute_float8_amax_history", package=False)
def compute_float8_amax_history(x, amax_history):
    """`amax_history` rolled by one step, with `max(|x|)` as its newest (first) entry."""
    x, amax_history = _tensors.as_tensor(x), _tensors.as_tensor(amax_history)
    amax = x.abs().max().to(amax_history.dtype)
    return torch.cat([amax.reshape(1), torch.roll(amax_history, -1)[1:]])


@keras_export("quantizers.quantize_and_dequantize", package=False)
def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """`inputs` divided by `scale`, clipped to the float8 range, rounded to `quantized_dtype`
    ("float8_e4m3fn" or "float8_e5m2") and scaled back, in `compute_dtype`."""
    if quantized_dtype not in _FLOAT8:
        raise ValueError(
            f"quantize_and_dequantize() rounds to float8: quantized_dtype must be one of "
            f"{sorted(_FLOAT8)}. Received: quantized_dtype={quantized_dtype!r}"
        )
    compute = config.to_torch_dtype(compute_dtype)
    inputs = _tensors.as_tensor(inputs).to(compute)
    scale = _tensors.as_tensor(scale).to(device=inputs.device, dtype=compute)
    largest = torch.finfo(_FLOAT8[quantized_dtype]).max
    x = torch.clamp(inputs / scale, -largest, largest)
    return x.to(_FLOAT8[quantized_dtype]).to(compute) * scale
