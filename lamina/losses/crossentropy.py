"""Crossentropy losses: binary, categorical (one-hot), sparse (integer labels) and focal.

Probabilities are handled as Keras does: clipped to [epsilon, 1 - epsilon] (so a confident
wrong answer costs -log(1e-7) = 16.1, not torch's 100), and categorical inputs are first
renormalised to sum to 1. Logits go through torch's fused, numerically stable kernels.
"""

import warnings

import torch
import torch.nn.functional as F

from lamina import config
from lamina.losses.loss import float_pair, squeeze_or_expand_to_same_rank, to_tensor
from lamina.losses.wrapper import BuiltinLoss
from lamina.registry.export import keras_export
from lamina.utils.arguments import check_rate


def _check_focusing(owner, gamma, alpha):
    """Focal losses: `gamma` >= 0 (0 is plain crossentropy), `alpha` a class weight in [0, 1]."""
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not gamma >= 0:
        raise ValueError(f"{owner}: `gamma` (the focusing exponent) must be a number >= 0. "
                         f"Received: gamma={gamma!r}")
    check_rate(alpha, "alpha", owner)


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be an int; received axis={axis!r}.")


def _clip_probabilities(p):
    eps = config.epsilon()
    return torch.clamp(p, eps, 1.0 - eps)


def elementwise_binary_crossentropy(target, output, from_logits=False):
    """Per-element BCE without averaging; `target` and `output` must have the same shape."""
    if target.shape != output.shape:
        raise ValueError(
            "binary_crossentropy needs y_true and y_pred of the same shape; received "
            f"y_true.shape={tuple(target.shape)}, y_pred.shape={tuple(output.shape)}."
        )
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    output = _clip_probabilities(output)
    if torch.is_autocast_enabled(output.device.type):
        # torch's kernel refuses to run under autocast: the formula written out (as Keras's
        # JAX backend writes it), each op at the precision autocast gives it.
        return -(target * torch.log(output) + (1.0 - target) * torch.log(1.0 - output))
    # As Keras's torch backend: one kernel and one autograd node (the written-out formula is
    # nine nodes, as much work as a small network's whole forward pass).
    return F.binary_cross_entropy(output, target, reduction="none")


@keras_export(
    "losses.binary_crossentropy", "losses.BCE", "losses.bce", "metrics.binary_crossentropy",
)
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy per sample (mean over `axis`), for 0/1 or soft labels.

    `label_smoothing=s` moves labels towards 0.5: `y * (1 - s) + 0.5 * s`.
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return elementwise_binary_crossentropy(y_true, y_pred, from_logits).mean(dim=axis)


@keras_export("losses.binary_focal_crossentropy", "metrics.binary_focal_crossentropy")
def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """BCE scaled by `(1 - p_t) ** gamma` so easy, well-classified examples count less.

    With `apply_class_balancing`, positives are also weighted by `alpha`, negatives by `1 - alpha`.
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = elementwise_binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return focal.mean(dim=axis)


def _categorical_inputs(y_true, y_pred, label_smoothing, axis, name):
    _check_axis(axis)
    y_true, y_pred = float_pair(y_true, y_pred)
    if y_pred.shape[-1] == 1:
        warnings.warn(
            f"{name} expects y_pred of shape (batch_size, num_classes) with num_classes > 1; "
            f"received y_pred.shape={tuple(y_pred.shape)}, for which the loss is always 0. "
            "Use binary_crossentropy with a 1-unit sigmoid output for two classes.",
            UserWarning,
            stacklevel=3,
        )
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{name} needs one-hot y_true of the same shape as y_pred; received "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}. "
            "For integer class labels use sparse_categorical_crossentropy."
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]
    return y_true, y_pred


def _normalized_probabilities(y_pred, axis):
    return _clip_probabilities(y_pred / torch.sum(y_pred, dim=axis, keepdim=True))


@keras_export("losses.categorical_crossentropy", "metrics.categorical_crossentropy")
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy between one-hot (or soft) labels and predicted class probabilities.

    `label_smoothing=s` mixes the labels with the uniform distribution: `y * (1 - s) + s / C`.
    """
    y_true, y_pred = _categorical_inputs(y_true, y_pred, label_smoothing, axis,
                                         "categorical_crossentropy")
    if from_logits:
        log_prob = F.log_softmax(y_pred, dim=axis)
    else:
        log_prob = torch.log(_normalized_probabilities(y_pred, axis))
    return -torch.sum(y_true * log_prob, dim=axis)


@keras_export("losses.categorical_focal_crossentropy", "metrics.categorical_focal_crossentropy")
def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical crossentropy scaled by `alpha * (1 - p) ** gamma` per class."""
    y_true, y_pred = _categorical_inputs(y_true, y_pred, label_smoothing, axis,
                                         "categorical_focal_crossentropy")
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    probabilities = _normalized_probabilities(y_pred, axis)
    weight = alpha * torch.pow(1.0 - probabilities, gamma)
    return torch.sum(weight * -y_true * torch.log(probabilities), dim=axis)


@keras_export("losses.sparse_categorical_crossentropy", "metrics.sparse_categorical_crossentropy")
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Crossentropy between integer class labels and predicted class probabilities (or logits).

    `y_true` has the shape of `y_pred` without the class axis (a trailing axis of 1 is fine).
    `ignore_class=k` drops entries labelled k: they get loss 0 and are left out of the mean.
    """
    _check_axis(axis)
    if not isinstance(y_pred, torch.Tensor) or not y_pred.is_floating_point():
        y_pred = to_tensor(y_pred, config.to_torch_dtype(None))
    y_true = to_tensor(y_true, device=y_pred.device)
    if y_true.dim() == y_pred.dim() and y_true.shape[axis] == 1:
        y_true = y_true.squeeze(axis)
    class_axis = axis % y_pred.dim()
    expected = y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1:]
    if y_true.shape != expected:
        raise ValueError(
            "sparse_categorical_crossentropy needs integer labels of shape "
            f"{tuple(expected)} (y_pred's shape without the class axis); received "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}. "
            "For one-hot labels use categorical_crossentropy."
        )
    valid = None
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = torch.where(valid, y_true, torch.zeros_like(y_true))
    losses = _sparse_crossentropy(y_true.long(), y_pred, from_logits, class_axis)
    if valid is not None:
        losses = torch.where(valid, losses, torch.zeros_like(losses))
        losses._keras_mask = valid  # lets the reduction average over the kept entries only
    return losses


def _sparse_crossentropy(target, output, from_logits, class_axis):
    # torch's kernels pick the target's log-probability without building a one-hot matrix.
    if output.dim() == 1:
        return _sparse_crossentropy(target[None], output[None], from_logits, 1)[0]
    if output.dim() > 2:
        # (batch, ..., classes) as rows of classes: the 2-D kernels need no copy, where the
        # N-D ones would take the class axis moved to 1 (a strided view), and torch's CPU
        # nll_loss2d backward fails on one ("grad_input must be contiguous", a segmentation
        # model's softmax output)
        if class_axis != output.dim() - 1:
            output = output.movedim(class_axis, -1)
        rows = _sparse_crossentropy(target.reshape(-1), output.reshape(-1, output.shape[-1]),
                                    from_logits, 1)
        return rows.reshape(target.shape)
    if class_axis != 1:
        output = output.movedim(class_axis, 1)
    if from_logits:
        return F.cross_entropy(output, target, reduction="none")
    return F.nll_loss(torch.log(_normalized_probabilities(output, 1)), target, reduction="none")


@keras_export("losses.BinaryCrossentropy")
class BinaryCrossentropy(BuiltinLoss):
    """Crossentropy for binary (0/1) labels against a probability (or a logit).

    Args:
        from_logits: whether `y_pred` is a logit rather than a probability.
        label_smoothing: in [0, 1]; moves labels towards 0.5.
        axis: the axis averaged over (default -1).
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        check_rate(label_smoothing, "label_smoothing", "BinaryCrossentropy()")
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


@keras_export("losses.BinaryFocalCrossentropy")
class BinaryFocalCrossentropy(BuiltinLoss):
    """Binary crossentropy focused on hard examples by the factor `(1 - p_t) ** gamma`."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        _check_focusing("BinaryFocalCrossentropy()", gamma, alpha)
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma


@keras_export("losses.CategoricalCrossentropy")
class CategoricalCrossentropy(BuiltinLoss):
    """Crossentropy for one-hot labels against class probabilities (or logits).

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; mixes labels with the uniform distribution.
        axis: the class axis (default -1).
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        check_rate(label_smoothing, "label_smoothing", "CategoricalCrossentropy()")
        _check_axis(axis)
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


@keras_export("losses.CategoricalFocalCrossentropy")
class CategoricalFocalCrossentropy(BuiltinLoss):
    """Categorical crossentropy focused on hard examples by `alpha * (1 - p) ** gamma`."""

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        _check_focusing("CategoricalFocalCrossentropy()", gamma, alpha)
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.alpha = alpha
        self.gamma = gamma


@keras_export("losses.SparseCategoricalCrossentropy")
class SparseCategoricalCrossentropy(BuiltinLoss):
    """Crossentropy for integer class labels against class probabilities (or logits).

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        ignore_class: a label value to leave out of the loss (e.g. a padding or "void" class).
        axis: the class axis of `y_pred` (default -1).
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis
