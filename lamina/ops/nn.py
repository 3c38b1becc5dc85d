"""Neural-network ops (Keras's `keras.ops.nn`): activations, one-hot encodings, cross-entropies,
moments and normalisation, with Keras's defaults (e.g. `gelu(approximate=True)`,
`leaky_relu(negative_slope=0.2)`) and numerics (probabilities clipped to [epsilon, 1 - epsilon])."""

import torch
import torch.nn.functional as F

from lamina import config
from lamina.ops.core import to_tensor
from lamina.ops.numpy import _dims, _float
from lamina.ops.symbolic import keras_op


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


__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__
           and not name.startswith("_")]
