"""Float8 training for Dense and EinsumDense (`quantize("float8")`), as Keras 3 does it.

The float kernel stays and is trained. Each product is computed on float8-rounded values:
inputs and kernel rounded to float8_e4m3fn on the way in, the gradient of the output rounded to
float8_e5m2 on the way back. Each of the three tensors has a `scale` and an `amax_history`
(delayed scaling: the scale of a step comes from the largest absolute values of past steps).

Keras updates the six variables through the optimizer: they are trainable, flagged
`overwrite_with_gradient`, and the custom gradients below return their *next values* as
their gradients. The optimizer then writes those values in (see `Optimizer`), so a step of
`fit` — or any loop calling `optimizer.apply` — advances the histories exactly as in Keras.
"""

import torch

from lamina.quantizers.float8 import (compute_float8_amax_history, compute_float8_scale,
                                      quantize_and_dequantize)

E4M3_MAX = float(torch.finfo(torch.float8_e4m3fn).max)  # 448
E5M2_MAX = float(torch.finfo(torch.float8_e5m2).max)  # 57344

# (name, shape or None for the history's length, initializer) in Keras's creation order.
FLOAT8_VARIABLES = ("inputs_scale", "inputs_amax_history", "kernel_scale",
                    "kernel_amax_history", "outputs_grad_scale", "outputs_grad_amax_history")


def add_float8_variables(layer):
    """The six float32 variables Keras's float8 layers hold (trainable, overwritten by their
    gradients). The history's length comes from the layer's QuantizedFloat8DTypePolicy."""
    from lamina.dtype_policies.quantized import QuantizedFloat8DTypePolicy

    length = getattr(layer.dtype_policy, "amax_history_length", None) or \
        QuantizedFloat8DTypePolicy(mode="float8").amax_history_length
    for name in FLOAT8_VARIABLES:
        history = name.endswith("amax_history")
        setattr(layer, name, layer.add_weight(
            name=name, shape=(length,) if history else (),
            initializer="zeros" if history else "ones", dtype="float32", trainable=True,
            autocast=False, overwrite_with_gradient=True))


class _RoundInputs(torch.autograd.Function):
    """Forward: `x` rounded to float8_e4m3fn with `scale`. Backward: the gradient passes
    straight through to `x`; `scale` and `amax_history` get their next values (training)."""

    @staticmethod
    def forward(ctx, x, scale, amax_history, compute_dtype, training):
        if training:
            ctx.new_values = (
                compute_float8_scale(amax_history.max(), scale, E4M3_MAX),
                compute_float8_amax_history(x.detach(), amax_history))
        else:
            ctx.new_values = (None, None)
        return quantize_and_dequantize(x, scale, "float8_e4m3fn", compute_dtype)

    @staticmethod
    def backward(ctx, upstream):
        new_scale, new_history = ctx.new_values
        return upstream, new_scale, new_history, None, None


class _RoundOutputGradient(torch.autograd.Function):
    """Forward: the output unchanged. Backward: its gradient rounded to float8_e5m2 with
    `scale`; `scale` and `amax_history` get their next values from that gradient."""

    @staticmethod
    def forward(ctx, outputs, scale, amax_history, compute_dtype):
        ctx.save_for_backward(scale, amax_history)
        ctx.compute_dtype = compute_dtype
        return outputs.view_as(outputs)

    @staticmethod
    def backward(ctx, upstream):
        scale, amax_history = ctx.saved_tensors
        new_scale = compute_float8_scale(amax_history.max(), scale, E5M2_MAX)
        rounded = quantize_and_dequantize(upstream, scale, "float8_e5m2", ctx.compute_dtype)
        new_history = compute_float8_amax_history(upstream, amax_history)
        return rounded, new_scale, new_history, None


def _current_training():
    """The `training` value of the call in progress (Keras's Dense.call gets None, so
    falsy, outside fit and explicit `training=True`)."""
    from lamina.layers.layer import current_call_context

    context = current_call_context()
    return bool(context is not None and context.training)


def float8_call(layer, inputs, product):
    """`product(inputs, kernel)` on float8-rounded operands, the output's gradient rounded
    on the way back, then the bias (rounded through bfloat16 when computing in float32, as
    Keras does for XLA's fusion) and the activation."""
    training = _current_training()
    compute_dtype = layer.compute_dtype
    rounded_inputs = _RoundInputs.apply(inputs, layer.inputs_scale, layer.inputs_amax_history,
                                        compute_dtype, training)
    rounded_kernel = _RoundInputs.apply(layer.kernel, layer.kernel_scale,
                                        layer.kernel_amax_history, compute_dtype, training)
    outputs = _RoundOutputGradient.apply(product(rounded_inputs, rounded_kernel),
                                         layer.outputs_grad_scale,
                                         layer.outputs_grad_amax_history, compute_dtype)
    if layer.bias is not None:
        bias = layer.bias
        if compute_dtype == "float32":
            bias = bias.to(torch.bfloat16).to(bias.dtype)
        outputs = outputs + bias
    return outputs if layer._linear_activation else layer.activation(outputs)
