"""`fake_quant_with_min_max_vars`: quantize-then-dequantize in the float domain, with the
straight-through gradient that quantization-aware training uses (the same numbers as
TensorFlow's `tf.quantization.fake_quant_with_min_max_vars`, which Keras follows)."""

import torch

from lamina.quantizers import _tensors
from lamina.registry.object_registry import keras_export
from lamina.symbolic.dispatch import keras_op


@keras_export("quantizers.fake_quant_with_min_max_vars", package=False)
@keras_op
def fake_quant_with_min_max_vars(inputs, min_vals, max_vals, num_bits=8, narrow_range=False,
                                 axis=None):
    """Clamp `inputs` to `[min_vals, max_vals]` and round them to one of `2**num_bits` levels
    (`2**num_bits - 1` with `narrow_range`), returning floats.

    The range is first nudged so that 0.0 is exactly representable. Gradients are
    straight-through: `inputs` get the upstream gradient where they lie inside the nudged
    range and 0 outside; `min_vals` / `max_vals` get the sum of the upstream gradient where
    the inputs were clamped to them, so the range itself can be trained.

    Args:
        inputs: A float tensor.
        min_vals: The lower end of the range: a scalar, or one value per channel of `axis`.
        max_vals: The upper end, shaped like `min_vals`.
        num_bits: Bits of the simulated integer. Defaults to 8.
        narrow_range: Use levels `[1, 2**num_bits - 1]` instead of `[0, 2**num_bits - 1]`.
        axis: The channel axis for per-channel ranges; `None` for one range.

    Returns:
        A tensor shaped and typed like `inputs`.
    """
    inputs = _tensors.as_tensor(inputs)
    min_vals = _tensors.as_tensor(min_vals).to(inputs.device)
    max_vals = _tensors.as_tensor(max_vals).to(inputs.device)
    if axis is not None:
        axis = axis % inputs.ndim
    return _FakeQuant.apply(inputs, min_vals, max_vals, int(num_bits), bool(narrow_range), axis)


def _per_channel(values, inputs, axis):
    """A 1D per-channel range laid along `axis` so it broadcasts against `inputs`."""
    if axis is None or values.ndim != 1 or inputs.ndim <= 1:
        return values
    shape = [1] * inputs.ndim
    shape[axis] = -1
    return values.reshape(shape)


def nudged_range(min_vals, max_vals, num_bits, narrow_range):
    """`(nudged_min, nudged_max, scale, inverse_scale)`: the range moved so that 0.0 falls
    exactly on a quantization level (computed in at least float32)."""
    compute = torch.promote_types(min_vals.dtype, torch.float32)
    min_vals, max_vals = min_vals.to(compute), max_vals.to(compute)
    quant_max = (1 << num_bits) - 1
    quant_min = 1 if narrow_range else 0
    spread = max_vals - min_vals
    scale = spread / (quant_max - quant_min)
    inverse_scale = (quant_max - quant_min) / spread
    zero_point = torch.round(torch.clamp(quant_min - min_vals / scale, quant_min, quant_max))
    return (quant_min - zero_point) * scale, (quant_max - zero_point) * scale, scale, \
        inverse_scale


class _FakeQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs, min_vals, max_vals, num_bits, narrow_range, axis):
        low, high, scale, inverse_scale = nudged_range(
            _per_channel(min_vals, inputs, axis), _per_channel(max_vals, inputs, axis),
            num_bits, narrow_range)
        zero = torch.floor(-low * inverse_scale + 0.5)
        clamped = torch.minimum(torch.maximum(inputs.to(low.dtype), low), high)
        levels = torch.floor((clamped - low) * inverse_scale - zero + 0.5)
        ctx.save_for_backward(inputs, low, high)
        ctx.axis, ctx.shapes = axis, (min_vals.shape, max_vals.shape)
        return (levels * scale).to(inputs.dtype)

    @staticmethod
    def backward(ctx, upstream):
        inputs, low, high = ctx.saved_tensors
        zeros = torch.zeros_like(upstream)
        inside = (inputs >= low) & (inputs <= high)
        grad_inputs = torch.where(inside, upstream, zeros)
        reduce = [d for d in range(upstream.ndim) if d != ctx.axis]
        grad_min = torch.where(inputs <= low, upstream, zeros)
        grad_max = torch.where(inputs >= high, upstream, zeros)
        if ctx.axis is None:
            grad_min, grad_max = grad_min.sum(), grad_max.sum()
        else:
            grad_min, grad_max = grad_min.sum(dim=reduce), grad_max.sum(dim=reduce)
        return (grad_inputs, grad_min.reshape(ctx.shapes[0]), grad_max.reshape(ctx.shapes[1]),
                None, None, None)
