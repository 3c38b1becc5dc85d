"""Activation functions: plain functions on torch tensors, by their Keras 3 names and arguments.

Each one maps to PyTorch's fused kernel where one exists (`F.relu`, `F.gelu`, `F.hardswish`, ...),
so an activation costs one kernel launch, and runs on whatever device its input is on.
Keras 3's numerics are the reference: e.g. `hard_sigmoid` is `relu6(x + 3) / 6` (Keras 2 used
`0.2 * x + 0.5`), and `leaky_relu` defaults to a slope of 0.2 (PyTorch's is 0.01).
"""

import torch
import torch.nn.functional as F

from lamina import config
from lamina.registry.export import keras_export
from lamina.symbolic.dispatch import keras_op


def _as_tensor(x):
    """Lists, scalars and NumPy arrays become tensors; integer data becomes floatx."""
    if isinstance(x, torch.Tensor):
        return x
    tensor = torch.as_tensor(x)
    if not tensor.is_floating_point():
        tensor = tensor.to(config.to_torch_dtype(None))
    return tensor


@keras_export("activations.relu")
@keras_op
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, with Keras's optional leak, ceiling and threshold.

    With the defaults this is `max(x, 0)`. In general: `x` where `threshold < x`, capped at
    `max_value`; below the threshold, `negative_slope * (x - threshold)`.

    Args:
        x: Input tensor.
        negative_slope: Slope for values below `threshold` (0 means they become 0).
        max_value: Largest value the output can take (`None`: no ceiling).
        threshold: Inputs at or below this value are treated as "negative".
    """
    x = _as_tensor(x)
    # Fast paths: the common argument combinations each have a single fused kernel.
    if max_value is None and threshold == 0:
        return F.leaky_relu(x, negative_slope) if negative_slope != 0 else F.relu(x)
    if negative_slope == 0 and threshold == 0:
        return F.relu6(x) if max_value == 6 else F.hardtanh(x, 0.0, max_value)
    if negative_slope == 0 and max_value is None:
        return F.threshold(x, threshold, 0.0)
    return _general_relu(x, negative_slope, max_value, threshold)


def _general_relu(x, negative_slope, max_value, threshold):
    # Same composition as Keras, so the rarely used combinations agree exactly.
    positive = F.threshold(x, threshold, 0.0) if threshold != 0 else F.relu(x)
    if max_value is not None:
        positive = torch.clamp(positive, 0.0, max_value)
    if negative_slope != 0:
        positive = positive - negative_slope * F.relu(threshold - x)
    return positive


@keras_export("activations.leaky_relu")
@keras_op
def leaky_relu(x, negative_slope=0.2):
    """`x` for positive inputs, `negative_slope * x` otherwise (Keras default slope: 0.2)."""
    return F.leaky_relu(_as_tensor(x), negative_slope)


@keras_export("activations.relu6")
@keras_op
def relu6(x):
    """`min(max(x, 0), 6)`."""
    return F.relu6(_as_tensor(x))


@keras_export("activations.softmax")
@keras_op
def softmax(x, axis=-1):
    """Exponentials normalised to sum to 1 along `axis` (an int or a tuple of ints)."""
    x = _as_tensor(x)
    if isinstance(axis, int):
        return torch.softmax(x, dim=axis)
    return torch.exp(x - torch.logsumexp(x, dim=tuple(axis), keepdim=True))


@keras_export("activations.log_softmax")
@keras_op
def log_softmax(x, axis=-1):
    """`log(softmax(x, axis))`, computed stably."""
    x = _as_tensor(x)
    if isinstance(axis, int):
        return torch.log_softmax(x, dim=axis)
    return x - torch.logsumexp(x, dim=tuple(axis), keepdim=True)


@keras_export("activations.elu")
@keras_op
def elu(x, alpha=1.0):
    """Exponential linear unit: `x` if `x > 0`, else `alpha * (exp(x) - 1)`."""
    return F.elu(_as_tensor(x), alpha)


@keras_export("activations.selu")
@keras_op
def selu(x):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""
    return F.selu(_as_tensor(x))


@keras_export("activations.celu")
@keras_op
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`."""
    return F.celu(_as_tensor(x), alpha)


@keras_export("activations.softplus")
@keras_op
def softplus(x):
    """`log(exp(x) + 1)`."""
    return F.softplus(_as_tensor(x))


@keras_export("activations.softsign")
@keras_op
def softsign(x):
    """`x / (abs(x) + 1)`."""
    return F.softsign(_as_tensor(x))


@keras_export("activations.sparse_plus")
@keras_op
def sparse_plus(x):
    """0 for `x <= -1`, `(x + 1)**2 / 4` for `-1 < x < 1`, `x` for `x >= 1`."""
    x = _as_tensor(x)
    smooth = 0.25 * torch.square(x + 1)
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, smooth, x))


@keras_export("activations.squareplus")
@keras_op
def squareplus(x, b=4):
    """`(x + sqrt(x**2 + b)) / 2`, a smooth ReLU with no exponentials."""
    x = _as_tensor(x)
    return 0.5 * (x + torch.sqrt(torch.square(x) + b))


@keras_export("activations.silu", "activations.swish")
@keras_op
def silu(x):
    """Sigmoid linear unit (also called swish): `x * sigmoid(x)`."""
    return F.silu(_as_tensor(x))


@keras_export("activations.gelu")
@keras_op
def gelu(x, approximate=False):
    """Gaussian error linear unit; `approximate=True` uses the tanh formula."""
    return F.gelu(_as_tensor(x), approximate="tanh" if approximate else "none")


@keras_export("activations.glu")
@keras_op
def glu(x, axis=-1):
    """Gated linear unit: split `x` in two halves `a, b` along `axis`; return `a * sigmoid(b)`."""
    return F.glu(_as_tensor(x), dim=axis)


@keras_export("activations.sigmoid")
@keras_op
def sigmoid(x):
    """`1 / (1 + exp(-x))`."""
    return torch.sigmoid(_as_tensor(x))


@keras_export("activations.log_sigmoid")
@keras_op
def log_sigmoid(x):
    """`log(sigmoid(x))`, computed stably."""
    return F.logsigmoid(_as_tensor(x))


@keras_export("activations.sparse_sigmoid")
@keras_op
def sparse_sigmoid(x):
    """0 for `x <= -1`, `(x + 1) / 2` in between, 1 for `x >= 1`."""
    return torch.clamp(0.5 * (_as_tensor(x) + 1), 0.0, 1.0)


@keras_export("activations.hard_sigmoid")
@keras_op
def hard_sigmoid(x):
    """Piecewise-linear sigmoid, Keras 3 formula: `relu6(x + 3) / 6`."""
    return F.hardsigmoid(_as_tensor(x))


@keras_export("activations.hard_silu", "activations.hard_swish")
@keras_op
def hard_silu(x):
    """`x * hard_sigmoid(x)` (also called hard swish)."""
    return F.hardswish(_as_tensor(x))


@keras_export("activations.tanh")
@keras_op
def tanh(x):
    """Hyperbolic tangent."""
    return torch.tanh(_as_tensor(x))


@keras_export("activations.hard_tanh")
@keras_op
def hard_tanh(x):
    """`x` clipped to `[-1, 1]`."""
    return F.hardtanh(_as_tensor(x), -1.0, 1.0)


@keras_export("activations.tanh_shrink")
@keras_op
def tanh_shrink(x):
    """`x - tanh(x)`."""
    return F.tanhshrink(_as_tensor(x))


@keras_export("activations.hard_shrink")
@keras_op
def hard_shrink(x, threshold=0.5):
    """`x` where `abs(x) > threshold`, else 0."""
    return F.hardshrink(_as_tensor(x), threshold)


@keras_export("activations.soft_shrink")
@keras_op
def soft_shrink(x, threshold=0.5):
    """`x` moved `threshold` towards 0, and 0 where `abs(x) <= threshold`."""
    return F.softshrink(_as_tensor(x), threshold)


@keras_export("activations.threshold")
@keras_op
def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    return F.threshold(_as_tensor(x), threshold, default_value)


@keras_export("activations.exponential")
@keras_op
def exponential(x):
    """`exp(x)`."""
    return torch.exp(_as_tensor(x))


@keras_export("activations.mish")
@keras_op
def mish(x):
    """`x * tanh(softplus(x))` (Misra, 2019)."""
    return F.mish(_as_tensor(x))


@keras_export("activations.sparsemax")
@keras_op
def sparsemax(x, axis=-1):
    """Euclidean projection of `x` onto the probability simplex along `axis`.

    Like softmax, the output sums to 1, but small inputs get exactly 0 (Martins & Astudillo, 2016).
    """
    x = _as_tensor(x)
    ranked = torch.sort(x, dim=axis, descending=True).values
    cumulative = torch.cumsum(ranked, dim=axis)
    positions = torch.arange(1, x.shape[axis] + 1, device=x.device, dtype=x.dtype)
    view = [1] * x.ndim
    view[axis] = -1
    positions = positions.reshape(view)
    in_support = ranked - (cumulative - 1) / positions > 0
    support_size = in_support.sum(dim=axis, keepdim=True)
    # The threshold uses the sum of the inputs in the support. (Keras 3.15 sums the running
    # totals instead, so its outputs do not add up to 1; lamina keeps to the definition.)
    support_total = torch.where(in_support, ranked, 0.0).sum(dim=axis, keepdim=True)
    tau = (support_total - 1) / support_size
    return F.relu(x - tau)


@keras_export("activations.linear")
@keras_op
def linear(x):
    """The identity: returns `x` unchanged (the activation of `activation=None`)."""
    return x
