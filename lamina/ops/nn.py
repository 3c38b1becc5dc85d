"""Neural-network ops (Keras's `keras.ops.nn`): activations, one-hot encodings, cross-entropies,
moments and normalisation, with Keras's defaults (e.g. `gelu(approximate=True)`,
`leaky_relu(negative_slope=0.2)`) and numerics (probabilities clipped to [epsilon, 1 - epsilon])."""

import contextlib
import math

import torch
import torch.nn.functional as F

from lamina import config
from lamina.ops.core import to_tensor
from lamina.ops.numpy import _dims, _float
from lamina.symbolic.dispatch import keras_op


# ---- activations ---------------------------------------------------------------------------------

@keras_op
def relu(x):
    return F.relu(to_tensor(x))


@keras_op
def relu6(x):
    return F.relu6(to_tensor(x))


@keras_op
def sigmoid(x):
    return torch.sigmoid(_float(x))


@keras_op
def hard_sigmoid(x):
    """`relu6(x + 3) / 6`: 0 below -3, 1 above 3, linear between."""
    return F.hardsigmoid(_float(x))


@keras_op
def hard_silu(x):
    """`x * hard_sigmoid(x)`."""
    return F.hardswish(_float(x))


hard_swish = hard_silu


@keras_op
def log_sigmoid(x):
    return F.logsigmoid(_float(x))


@keras_op
def softplus(x):
    return F.softplus(_float(x))


@keras_op
def softsign(x):
    return F.softsign(_float(x))


@keras_op
def silu(x):
    return F.silu(_float(x))


swish = silu


@keras_op
def gelu(x, approximate=True):
    """Gaussian error linear unit; the tanh approximation unless `approximate=False`."""
    return F.gelu(_float(x), approximate="tanh" if approximate else "none")


@keras_op
def elu(x, alpha=1.0):
    return F.elu(_float(x), alpha=alpha)


@keras_op
def selu(x):
    return F.selu(_float(x))


@keras_op
def celu(x, alpha=1.0):
    return F.celu(_float(x), alpha=alpha)


@keras_op
def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(_float(x), negative_slope=negative_slope)


@keras_op
def glu(x, axis=-1):
    """Gated linear unit: the first half of `axis` times the sigmoid of the second half."""
    x = _float(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu needs an even size along axis {axis}; received shape {tuple(x.shape)}."
        )
    return F.glu(x, dim=axis)


@keras_op
def hard_tanh(x):
    return F.hardtanh(_float(x))


@keras_op
def tanh_shrink(x):
    return F.tanhshrink(_float(x))


@keras_op
def soft_shrink(x, threshold=0.5):
    return F.softshrink(_float(x), lambd=threshold)


@keras_op
def hard_shrink(x, threshold=0.5):
    return F.hardshrink(_float(x), lambd=threshold)


@keras_op
def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    return F.threshold(_float(x), threshold, default_value)


@keras_op
def squareplus(x, b=4):
    """`(x + sqrt(x**2 + b)) / 2`, a smooth ReLU."""
    x = _float(x)
    return (x + torch.sqrt(x * x + b)) / 2


@keras_op
def sparse_plus(x):
    """0 for x <= -1, (x + 1)**2 / 4 for -1 < x < 1, x for x >= 1."""
    x = _float(x)
    return torch.where(x <= -1, 0.0, torch.where(x >= 1, x, (x + 1) ** 2 / 4))


@keras_op
def softmax(x, axis=-1):
    """Softmax over `axis` (an int, or a tuple of axes normalised together)."""
    x = _float(x)
    if axis is None or not isinstance(axis, int):
        dims = tuple(range(x.ndim)) if axis is None else _dims(axis)
        return torch.exp(x - torch.logsumexp(x, dim=dims, keepdim=True))
    return torch.softmax(x, dim=axis)


@keras_op
def log_softmax(x, axis=-1):
    x = _float(x)
    if axis is None or not isinstance(axis, int):
        dims = tuple(range(x.ndim)) if axis is None else _dims(axis)
        return x - torch.logsumexp(x, dim=dims, keepdim=True)
    return torch.log_softmax(x, dim=axis)


# ---- encodings -----------------------------------------------------------------------------------

@keras_op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """A new axis of size `num_classes` with 1 at each index; out-of-range indices give zeros."""
    if sparse:
        raise ValueError("one_hot: lamina tensors are dense; sparse=True is not supported.")
    x = to_tensor(x)
    classes = torch.arange(num_classes, device=x.device)
    # Comparing with every class (instead of F.one_hot) gives all-zero rows for negative or
    # too-large indices, as Keras does, without a data-dependent check.
    encoded = (x.long().unsqueeze(-1) == classes).to(config.to_torch_dtype(dtype))
    return encoded if axis == -1 else torch.movedim(encoded, -1, axis)


@keras_op
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """One row per sample with 1 at every index the sample lists (1-D input: one sample)."""
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise ValueError("multi_hot needs `num_classes` (the size of the encoding).")
    inputs = to_tensor(inputs)
    encoded = one_hot(inputs, num_classes, axis=axis, dtype=dtype, sparse=sparse)
    return torch.amax(encoded, dim=1 if inputs.ndim > 1 else 0)


# ---- losses --------------------------------------------------------------------------------------

def _clip_probabilities(output):
    return torch.clamp(output, config.epsilon(), 1.0 - config.epsilon())


@keras_op
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (no reduction)."""
    output = _float(output)
    target = to_tensor(target, dtype=output.dtype, device=output.device)
    _check_same_shape(target, output, "binary_crossentropy")
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    return F.binary_cross_entropy(_clip_probabilities(output), target, reduction="none")


@keras_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot (or soft) targets and predictions, reduced over `axis`.

    Probabilities are renormalised to sum to 1 and clipped to [epsilon, 1 - epsilon].
    """
    output = _float(output)
    target = to_tensor(target, dtype=output.dtype, device=output.device)
    _check_same_shape(target, output, "categorical_crossentropy")
    return -torch.sum(target * _log_probabilities(output, from_logits, axis), dim=axis)


@keras_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy with integer class targets; `target` may carry a trailing axis of size 1."""
    output = _float(output)
    target = to_tensor(target, device=output.device).long()
    if target.ndim == output.ndim and target.shape[axis] == 1:
        target = target.squeeze(axis)
    expected = output.shape[: axis % output.ndim] + output.shape[axis % output.ndim + 1:]
    if target.shape != expected:
        raise ValueError(
            "sparse_categorical_crossentropy: `target` must have the shape of `output` without "
            f"the class axis, {tuple(expected)}. Received target.shape={tuple(target.shape)}, "
            f"output.shape={tuple(output.shape)}."
        )
    log_prob = torch.movedim(_log_probabilities(output, from_logits, axis), axis, 1)
    if output.ndim == 1:
        return F.nll_loss(log_prob.unsqueeze(0), target.unsqueeze(0), reduction="none")[0]
    return F.nll_loss(log_prob, target, reduction="none")


def _log_probabilities(output, from_logits, axis):
    if from_logits:
        return torch.log_softmax(output, dim=axis)
    output = output / torch.sum(output, dim=axis, keepdim=True)
    return torch.log(_clip_probabilities(output))


def _check_same_shape(target, output, where):
    if target.shape != output.shape:
        raise ValueError(
            f"{where}: `target` and `output` must have the same shape. Received "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}."
        )


# ---- statistics ----------------------------------------------------------------------------------

@keras_op
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) of `x` over `axes`; float16 inputs are reduced in float32."""
    x = _float(x)
    compute = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
    variance, mean = torch.var_mean(compute, dim=_dims(axes), correction=0, keepdim=keepdims)
    return mean.to(x.dtype), variance.to(x.dtype)


@keras_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """`x` divided by its `order`-norm along `axis` (norms below epsilon count as epsilon)."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: `order` must be an int >= 1. Received: order={order!r}.")
    x = _float(x)
    norms = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(norms, min=config.epsilon() if epsilon is None else epsilon)



@keras_op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`; the statistics lie along `axis`."""
    x = _float(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def along_axis(value):
        return to_tensor(value, dtype=x.dtype, device=x.device).reshape(shape)

    inv = torch.rsqrt(along_axis(variance) + epsilon)
    if scale is not None:
        inv = inv * along_axis(scale)
    y = (x - along_axis(mean)) * inv
    return y if offset is None else y + along_axis(offset)


def _compute_float(x):
    """`x` as float, computed in at least float32 (half inputs are upcast); and its dtype."""
    x = _float(x)
    original = x.dtype
    if x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    return x, original


@keras_op
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Normalise `x` to zero mean and unit variance over `axis`, then `* gamma + beta`."""
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected arguments {sorted(kwargs)}.")
    epsilon = config.epsilon() if epsilon is None else epsilon
    x, original = _compute_float(x)
    axes = sorted(a % x.ndim for a in ([axis] if isinstance(axis, int) else axis))
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]

    def broadcast(v):
        v = to_tensor(v, dtype=x.dtype, device=x.device)
        return v if v.ndim == x.ndim else v.reshape(shape)

    variance, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
    inv = torch.rsqrt(variance + epsilon)
    if rms_scaling:  # Keras's deprecated variant: no centring
        y = x * inv
        y = y if gamma is None else y * broadcast(gamma)
        return y.to(original)
    y = (x - mean) * inv
    if gamma is not None:
        y = y * broadcast(gamma)
    if beta is not None:
        y = y + broadcast(beta)
    return y.to(original)


@keras_op
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """`x / sqrt(mean(x**2 over axis) + epsilon) * scale`."""
    epsilon = config.epsilon() if epsilon is None else epsilon
    x, original = _compute_float(x)
    if x.ndim == 0:
        x = x.reshape(1)
    y = x * torch.rsqrt(torch.mean(x * x, dim=_dims(axis), keepdim=True) + epsilon)
    if scale is not None:
        y = y * to_tensor(scale, dtype=x.dtype, device=x.device)
    return y.to(original)


@keras_op
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio `20 log10(max_val) - 10 log10(mse)` over all elements."""
    x1, x2 = _float(x1), _float(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: input shapes {tuple(x1.shape)} and {tuple(x2.shape)} must match.")
    max_val = to_tensor(max_val, dtype=x1.dtype, device=x1.device)
    mse = torch.mean((x1 - x2.to(x1.dtype)) ** 2)
    return 20 * torch.log10(max_val) - 10 * torch.log10(mse)


@keras_op
def polar(abs_, angle):
    """The complex number `abs_ * (cos(angle) + i sin(angle))`."""
    abs_, angle = _float(abs_), _float(angle)
    return torch.polar(abs_, angle.to(abs_.dtype))


@keras_op
def sparse_sigmoid(x):
    """0 for x <= -1, (x + 1) / 2 between, 1 for x >= 1."""
    return torch.clamp((_float(x) + 1) / 2, 0, 1)


@keras_op
def sparsemax(x, axis=-1):
    """Euclidean projection of `x` onto the probability simplex along `axis` (sparse softmax)."""
    x = _float(x)
    z = torch.movedim(x, axis, -1)
    z_sorted = torch.sort(z, dim=-1, descending=True).values
    ks = torch.arange(1, z.shape[-1] + 1, dtype=z.dtype, device=z.device)
    cumulative = torch.cumsum(z_sorted, dim=-1)
    support = (1 + ks * z_sorted) > cumulative
    k = support.sum(dim=-1, keepdim=True)
    tau = (torch.gather(cumulative, -1, k - 1) - 1) / k.to(z.dtype)
    return torch.movedim(torch.clamp(z - tau, min=0), -1, axis)


# ---- attention -----------------------------------------------------------------------------------

_NO_FLASH = ("dot_product_attention: flash attention was required (flash_attention=True or "
             "lamina.config.enable_flash_attention()) but cannot be used with {why}. PyTorch's "
             "flash kernel needs a CUDA device, float16/bfloat16 inputs and no mask or bias. "
             "Pass flash_attention=None to let PyTorch choose a kernel.")


def _sdpa_backends(flash_attention, query, bias):
    """The kernels `scaled_dot_product_attention` may use: all (None), flash only (True), or all
    but flash (False)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    if flash_attention is None:
        return contextlib.nullcontext()
    if flash_attention:
        if query.device.type != "cuda" or query.dtype not in (torch.float16, torch.bfloat16):
            raise ValueError(_NO_FLASH.format(
                why=f"{query.dtype} inputs on {query.device.type}"))
        if bias is not None:
            raise ValueError(_NO_FLASH.format(why="a `bias`"))
        return sdpa_kernel([SDPBackend.FLASH_ATTENTION])
    return sdpa_kernel([SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION,
                        SDPBackend.MATH])


@keras_op
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention on `(batch, length, heads, head_dim)` tensors (batch optional).

    Keys/values with fewer heads than the query are shared by groups of query heads. `bias` is
    added to the logits and a boolean `mask` (True = attend) broadcasts to
    `(batch, heads, query_length, key_length)`.
    """
    query, key, value = _float(query), _float(key), _float(value)
    if flash_attention is None:
        flash_attention = config.is_flash_attention_enabled()
    unbatched = query.ndim == 3
    if query.ndim not in (3, 4):
        raise ValueError("dot_product_attention: `query` must be 3D or 4D, received shape "
                         f"{tuple(query.shape)}.")
    if unbatched:
        query, key, value = query[None], key[None], value[None]
    q, k, v = (t.transpose(1, 2) for t in (query, key, value))  # (B, N, T, H)
    heads, kv_heads = q.shape[1], k.shape[1]
    if heads != kv_heads:
        if heads % kv_heads:
            raise ValueError(f"dot_product_attention: {heads} query heads cannot share "
                             f"{kv_heads} key heads.")
        k = k.repeat_interleave(heads // kv_heads, dim=1)
        v = v.repeat_interleave(heads // kv_heads, dim=1)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    if mask is None and attn_logits_soft_cap is None and not (is_causal and bias is not None):
        # PyTorch's fused kernels (flash / memory-efficient / cuDNN / math, its choice unless
        # `flash_attention` says otherwise): one call, no (T, S) logits kept for backward.
        if bias is not None:
            bias = to_tensor(bias, dtype=q.dtype, device=q.device)
            bias = bias[None] if unbatched and bias.ndim == 3 else bias
        with _sdpa_backends(flash_attention, q, bias):
            out = F.scaled_dot_product_attention(q, k.to(q.dtype), v.to(q.dtype), attn_mask=bias,
                                                 is_causal=is_causal, scale=scale)
        out = out.transpose(1, 2)
        return out[0] if unbatched else out
    if flash_attention:
        raise ValueError(_NO_FLASH.format(why="a `mask` or `attn_logits_soft_cap`"))
    logits = torch.matmul(q, k.transpose(-1, -2).to(q.dtype)) * scale
    if attn_logits_soft_cap is not None:
        logits = torch.tanh(logits / attn_logits_soft_cap) * attn_logits_soft_cap
    if bias is not None:
        bias = to_tensor(bias, dtype=logits.dtype, device=logits.device)
        logits = logits + (bias[None] if unbatched and bias.ndim == 3 else bias)
    allowed = None
    if mask is not None:
        mask = to_tensor(mask, device=logits.device).bool()
        allowed = mask[None] if unbatched and mask.ndim == 3 else mask
    if is_causal:
        t, s = logits.shape[-2:]
        causal = torch.ones((t, s), dtype=torch.bool, device=logits.device).tril()
        allowed = causal if allowed is None else allowed & causal
    if allowed is not None:
        logits = logits.masked_fill(~allowed, torch.finfo(logits.dtype).min * 0.7)
    weights = torch.softmax(logits.float(), dim=-1).to(v.dtype)
    out = torch.matmul(weights, v).transpose(1, 2)
    return out[0] if unbatched else out


# ---- convolution and pooling ---------------------------------------------------------------------

def _tuple(value, rank, name):
    from lamina.layers import padding as padding_utils

    return padding_utils.normalize_tuple(value, rank, name)


def _padding(padding):
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"`padding` must be 'valid' or 'same'. Received: padding={padding!r}.")
    return padding


def _channels_first(x, data_format):
    data_format = config.standardize_data_format(data_format)
    if data_format == "channels_last":
        return torch.movedim(x, -1, 1), lambda y: torch.movedim(y, 1, -1)
    return x, lambda y: y


def _convolve(inputs, weight, strides, padding, data_format, dilation_rate, groups):
    from lamina.layers.convolutional.base_conv import convolve

    x, restore = _channels_first(inputs, data_format)
    rank = x.ndim - 2
    return restore(convolve(x, weight.to(x.dtype), None, _tuple(strides, rank, "strides"),
                            _padding(padding), _tuple(dilation_rate, rank, "dilation_rate"),
                            groups))


@keras_op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-d convolution; `kernel` is `(*kernel_size, in_channels // groups, filters)`."""
    from lamina.layers.convolutional.base_conv import torch_conv_kernel

    inputs, kernel = _float(inputs), _float(kernel)
    channels = inputs.shape[-1 if config.standardize_data_format(data_format) == "channels_last"
                            else 1]
    groups = channels // kernel.shape[-2]
    return _convolve(inputs, torch_conv_kernel(kernel), strides, padding, data_format,
                     dilation_rate, groups)


@keras_op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Per-channel convolution; `kernel` is `(*kernel_size, in_channels, depth_multiplier)`."""
    inputs, kernel = _float(inputs), _float(kernel)
    rank = kernel.ndim - 2
    channels, multiplier = kernel.shape[-2], kernel.shape[-1]
    weight = kernel.reshape(*kernel.shape[:rank], 1, channels * multiplier)
    weight = weight.permute(rank + 1, rank, *range(rank))
    return _convolve(inputs, weight, strides, padding, data_format, dilation_rate, channels)


@keras_op
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format,
                               dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


@keras_op
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution; `kernel` is `(*kernel_size, filters, in_channels)`."""
    from lamina.layers import padding as padding_utils
    from lamina.layers.convolutional.base_conv import torch_conv_kernel
    from lamina.layers.convolutional.base_conv_transpose import (
        CONV_TRANSPOSE_FUNCTIONS, TransposePlan)

    inputs, kernel = _float(inputs), _float(kernel)
    x, restore = _channels_first(inputs, data_format)
    rank = x.ndim - 2
    strides = _tuple(strides, rank, "strides")
    dilation_rate = _tuple(dilation_rate, rank, "dilation_rate")
    output_padding = (None,) * rank if output_padding is None else \
        padding_utils.normalize_tuple(output_padding, rank, "output_padding", allow_zero=True)
    plans = [TransposePlan(*padding_utils.transpose_crops(k, s, _padding(padding), p, d))
             for k, s, p, d in zip(kernel.shape[:rank], strides, output_padding, dilation_rate)]
    y = CONV_TRANSPOSE_FUNCTIONS[rank](
        x, torch_conv_kernel(kernel).to(x.dtype), None, strides,
        tuple(p.padding for p in plans), tuple(p.output_padding for p in plans), 1,
        dilation_rate)
    y = y[(slice(None), slice(None)) + tuple(
        slice(0, y.shape[2 + i] - p.trim_right) for i, p in enumerate(plans))]
    return restore(y)


class _Pooling:
    """The windowed pooling of lamina's pooling layers, without a layer."""

    def __init__(self, rank, mode, pool_size, strides):
        self.rank, self.mode = rank, mode
        self.pool_size = _tuple(pool_size, rank, "pool_size")
        self.strides = self.pool_size if strides is None else _tuple(strides, rank, "strides")

    @staticmethod
    def methods():
        from lamina.layers.pooling.base_pooling import BasePooling

        for name in ("_pool", "_torch_pool", "_explicit_same_pool"):
            setattr(_Pooling, name, getattr(BasePooling, name))


def _pool(mode, inputs, pool_size, strides, padding, data_format):
    if not hasattr(_Pooling, "_pool"):
        _Pooling.methods()
    inputs = _float(inputs)
    x, restore = _channels_first(inputs, data_format)
    pooling = _Pooling(x.ndim - 2, mode, pool_size, strides)
    pooling.padding = _padding(padding)
    return restore(pooling._pool(x))


@keras_op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max over sliding windows (`strides` default to `pool_size`)."""
    return _pool("max", inputs, pool_size, strides, padding, data_format)


@keras_op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Mean over sliding windows; "same" padding averages only real elements."""
    return _pool("average", inputs, pool_size, strides, padding, data_format)


_ADAPTIVE = {"average": {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d,
                         3: F.adaptive_avg_pool3d},
             "max": {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d,
                     3: F.adaptive_max_pool3d}}


def _adaptive_pool(mode, inputs, output_size, data_format):
    inputs = _float(inputs)
    x, restore = _channels_first(inputs, data_format)
    rank = x.ndim - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"adaptive_{mode}_pool expects 3D, 4D or 5D inputs; received shape "
                         f"{tuple(inputs.shape)}.")
    size = _tuple(output_size, rank, "output_size")
    return restore(_ADAPTIVE[mode][rank](x, size if rank > 1 else size[0]))


@keras_op
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling into a fixed `output_size`, windows chosen as in PyTorch."""
    return _adaptive_pool("average", inputs, output_size, data_format)


@keras_op
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling into a fixed `output_size`, windows chosen as in PyTorch."""
    return _adaptive_pool("max", inputs, output_size, data_format)


# ---- rearrangements ------------------------------------------------------------------------------

def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


@keras_op
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: `(N, C, H, W)` -> `(N, C * kh * kw, number_of_blocks)` (channels first)."""
    x = to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"unfold expects a 4D (N, C, H, W) input; received shape "
                         f"{tuple(x.shape)}.")
    return F.unfold(x, _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride))


@keras_op
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the inverse layout of `unfold`: overlapping values are summed."""
    x = to_tensor(x)
    return F.fold(x, _pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding),
                  _pair(stride))


@keras_op
def depth_to_space(x, block_size, data_format="channels_last"):
    """Pixel shuffle: `(N, H, W, C * b * b)` -> `(N, H * b, W * b, C)`."""
    x = to_tensor(x)
    b = int(block_size)
    if data_format == "channels_first":
        return F.pixel_shuffle(x, b)
    n, h, w, c = x.shape
    y = x.reshape(n, h, w, b, b, c // (b * b)).permute(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h * b, w * b, c // (b * b))


@keras_op
def space_to_depth(x, block_size, data_format="channels_last"):
    """Pixel unshuffle: `(N, H, W, C)` -> `(N, H / b, W / b, C * b * b)`."""
    x = to_tensor(x)
    b = int(block_size)
    if data_format == "channels_first":
        return F.pixel_unshuffle(x, b)
    n, h, w, c = x.shape
    y = x.reshape(n, h // b, b, w // b, b, c).permute(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h // b, w // b, b * b * c)


# ---- CTC -----------------------------------------------------------------------------------------

@keras_op
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC loss of logits `output` `(batch, time, classes)`; blank = `mask_index`."""
    output, _ = _compute_float(output)
    device = output.device
    log_probs = torch.log_softmax(output.transpose(0, 1), dim=-1)
    return F.ctc_loss(log_probs, to_tensor(target, device=device).long(),
                      to_tensor(output_length, device=device).long(),
                      to_tensor(target_length, device=device).long(),
                      blank=mask_index, reduction="none")


@keras_op
def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decode CTC logits `(batch, time, classes)`; `mask_index` is the blank (None: the last class).

    `strategy="greedy"`: `(decoded (1, batch, time), -sum of the max logits (batch, 1))`.
    `strategy="beam_search"`: `(decoded (top_paths, batch, time), log probabilities
    (batch, top_paths))`, best path first. Decoded labels are padded with -1.
    """
    if strategy == "greedy":
        return _ctc_greedy_decode(inputs, sequence_lengths, merge_repeated, mask_index)
    if strategy == "beam_search":
        return _ctc_beam_search_decode(inputs, sequence_lengths, beam_width, top_paths,
                                       mask_index)
    raise ValueError(
        f"Invalid strategy {strategy!r} for ctc_decode: use 'greedy' or 'beam_search'.")


def _ctc_greedy_decode(inputs, sequence_lengths, merge_repeated, mask_index):
    inputs, _ = _compute_float(inputs)
    batch, length, classes = inputs.shape
    blank = classes - 1 if mask_index is None else mask_index
    lengths = to_tensor(sequence_lengths, device=inputs.device).long()
    scores, indices = torch.max(inputs, dim=-1)
    beyond = torch.arange(length, device=inputs.device)[None, :] >= lengths[:, None]
    indices = torch.where(beyond, blank, indices)
    scores = torch.where(beyond, 0.0, scores)
    if merge_repeated:
        repeat = F.pad(indices[:, 1:] == indices[:, :-1], (1, 0))
        indices = torch.where(repeat, blank, indices)
    invalid = indices == blank
    indices = torch.where(invalid, -1, indices)
    order = torch.where(invalid, length, torch.arange(length, device=inputs.device))
    order = torch.argsort(order, dim=-1, stable=True)
    indices = torch.take_along_dim(indices, order, dim=-1).to(torch.int32)
    return indices[None], -torch.sum(scores, dim=1, keepdim=True)


def _ctc_beam_search_decode(inputs, sequence_lengths, beam_width, top_paths, mask_index):
    """Prefix beam search, one sequence at a time on the host.

    A beam maps a decoded prefix to two log probabilities: of the alignments that end in a
    label ("emit") and of those that end in a blank. Each frame extends every prefix by every
    class, merges equal prefixes and keeps the `beam_width` most probable. Ties are broken as
    Keras breaks them (see `_beam_rank`), so equal scores pick the same paths.
    """
    inputs, _ = _compute_float(inputs)
    batch, length, classes = inputs.shape
    if not (isinstance(beam_width, int) and beam_width > 0 and isinstance(top_paths, int)
            and 0 < top_paths):
        raise ValueError(
            "ctc_decode(strategy='beam_search') needs positive integers beam_width and "
            f"top_paths. Received: beam_width={beam_width!r}, top_paths={top_paths!r}")
    if inputs.is_meta:  # symbolic shapes only (the functional API): nothing to search
        return (torch.empty((top_paths, batch, length), dtype=torch.int32, device="meta"),
                torch.empty((batch, top_paths), dtype=inputs.dtype, device="meta"))
    blank = classes - 1 if mask_index is None else int(mask_index)
    log_probs = torch.log_softmax(inputs, dim=-1).detach().double().cpu().numpy()
    lengths = to_tensor(sequence_lengths).reshape(-1).tolist()
    paths = torch.full((top_paths, batch, length), -1, dtype=torch.int32)
    scores = torch.full((batch, top_paths), -math.inf, dtype=torch.float64)
    for b in range(batch):
        beams = _first_frame_beams(log_probs[b, 0], beam_width, blank)
        for t in range(1, min(int(lengths[b]), length)):
            beams = _extend_beams(beams, log_probs[b, t], blank)
            beams = dict(sorted(beams.items(), key=_beam_rank(classes), reverse=True)[:beam_width])
        best = sorted(beams.items(), key=_beam_rank(classes), reverse=True)[:top_paths]
        for k, (prefix, (emit, ends_blank)) in enumerate(best):
            paths[k, b, :len(prefix)] = torch.tensor(prefix, dtype=torch.int32)
            scores[b, k] = _log_add(emit, ends_blank)
    return paths.to(inputs.device), scores.to(device=inputs.device, dtype=inputs.dtype)


def _first_frame_beams(frame, beam_width, blank):
    """The most probable classes of the first frame: the blank gives the empty prefix."""
    ranked = sorted(range(len(frame)), key=lambda c: (frame[c], -c), reverse=True)
    beams = {}
    for c in ranked[:beam_width]:
        if c == blank:
            beams[()] = (-math.inf, frame[c])
        else:
            beams[(c,)] = (frame[c], -math.inf)
    return beams


def _extend_beams(beams, frame, blank):
    extended = {}

    def add(prefix, emit=-math.inf, ends_blank=-math.inf):
        if emit == ends_blank == -math.inf:
            return  # an impossible prefix: Keras would rank it below every padding row
        old_emit, old_blank = extended.get(prefix, (-math.inf, -math.inf))
        extended[prefix] = (_log_add(old_emit, emit), _log_add(old_blank, ends_blank))

    for prefix, (emit, ends_blank) in beams.items():
        total = _log_add(emit, ends_blank)
        add(prefix, ends_blank=total + frame[blank])
        last = prefix[-1] if prefix else None
        for c, score in enumerate(frame):
            if c == blank:
                continue
            if c == last:  # a repeat extends the prefix only after a blank
                add(prefix, emit=emit + score)
                add(prefix + (c,), emit=ends_blank + score)
            else:
                add(prefix + (c,), emit=total + score)
    return extended


def _beam_rank(classes):
    """Sort key: the total probability, then Keras's tie-break (on equal scores, the prefix
    that comes last in lexicographic order of the class ids counted from the end wins)."""
    return lambda item: (_log_add(*item[1]), tuple(classes - 1 - c for c in item[0]))


def _log_add(a, b):
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))

__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__
           and not name.startswith("_")]
