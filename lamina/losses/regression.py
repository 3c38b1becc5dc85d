"""Regression losses: squared, absolute, percentage, log, Huber, log-cosh and cosine errors.

Each function returns one value per sample: the error averaged over the last axis
(`(N, d)` -> `(N,)`). The classes wrap them with a reduction.
"""

import math

import torch
import torch.nn.functional as F

from lamina import config
from lamina.losses.loss import float_pair, squeeze_or_expand_to_same_rank
from lamina.losses.wrapper import BuiltinLoss
from lamina.registry.export import keras_export
from lamina.utils.arguments import check_axis, check_positive_number


def _prepared(y_true, y_pred):
    y_true, y_pred = float_pair(y_true, y_pred)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


@keras_export("losses.mean_squared_error", "losses.MSE", "losses.mse", "metrics.mean_squared_error")
def mean_squared_error(y_true, y_pred):
    """`mean((y_true - y_pred) ** 2, axis=-1)`."""
    y_true, y_pred = _prepared(y_true, y_pred)
    return torch.square(y_true - y_pred).mean(dim=-1)


@keras_export(
    "losses.mean_absolute_error", "losses.MAE", "losses.mae", "metrics.mean_absolute_error",
)
def mean_absolute_error(y_true, y_pred):
    """`mean(abs(y_true - y_pred), axis=-1)`."""
    y_true, y_pred = _prepared(y_true, y_pred)
    return torch.abs(y_true - y_pred).mean(dim=-1)


@keras_export(
    "losses.mean_absolute_percentage_error", "losses.MAPE", "losses.mape",
    "metrics.mean_absolute_percentage_error",
)
def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / y_true), axis=-1)`, with |y_true| floored at epsilon."""
    y_true, y_pred = _prepared(y_true, y_pred)
    relative = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=config.epsilon()))
    return 100.0 * relative.mean(dim=-1)


@keras_export(
    "losses.mean_squared_logarithmic_error", "losses.MSLE", "losses.msle",
    "metrics.mean_squared_logarithmic_error",
)
def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean((log(1 + y_pred) - log(1 + y_true)) ** 2, axis=-1)`, values floored at epsilon."""
    y_true, y_pred = _prepared(y_true, y_pred)
    eps = config.epsilon()
    log_pred = torch.log(torch.clamp(y_pred, min=eps) + 1.0)
    log_true = torch.log(torch.clamp(y_true, min=eps) + 1.0)
    return torch.square(log_pred - log_true).mean(dim=-1)


@keras_export("losses.huber", "metrics.huber")
def huber(y_true, y_pred, delta=1.0):
    """Quadratic for |error| <= delta, linear beyond; averaged over the last axis."""
    y_true, y_pred = _prepared(y_true, y_pred)
    # torch's huber_loss is exactly 0.5*e^2 / delta*(|e| - 0.5*delta): one fused kernel.
    return F.huber_loss(y_pred, y_true, reduction="none", delta=float(delta)).mean(dim=-1)


@keras_export("losses.log_cosh", "losses.logcosh", "metrics.log_cosh")
def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed without overflowing cosh."""
    y_true, y_pred = _prepared(y_true, y_pred)
    error = y_pred - y_true
    return (error + F.softplus(-2.0 * error) - math.log(2.0)).mean(dim=-1)


@keras_export("losses.cosine_similarity")
def cosine_similarity(y_true, y_pred, axis=-1):
    """Minus the cosine of the angle between `y_true` and `y_pred` along `axis` (-1 is best)."""
    y_true, y_pred = _prepared(y_true, y_pred)
    return -torch.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), dim=axis)


def l2_normalize(x, axis):
    # x * min(rsqrt(sum(x^2)), 1/epsilon): a zero vector stays zero, as in Keras.
    inverse_norm = torch.rsqrt(torch.sum(x * x, dim=axis, keepdim=True))
    return x * torch.clamp(inverse_norm, max=1.0 / config.epsilon())


@keras_export("losses.MeanSquaredError")
class MeanSquaredError(BuiltinLoss):
    """Mean of squared errors. `loss = mean((y_true - y_pred) ** 2)`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


@keras_export("losses.MeanAbsoluteError")
class MeanAbsoluteError(BuiltinLoss):
    """Mean of absolute errors. `loss = mean(abs(y_true - y_pred))`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


@keras_export("losses.MeanAbsolutePercentageError")
class MeanAbsolutePercentageError(BuiltinLoss):
    """`loss = 100 * mean(abs((y_true - y_pred) / y_true))`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error",
                 dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name,
                         dtype=dtype)


@keras_export("losses.MeanSquaredLogarithmicError")
class MeanSquaredLogarithmicError(BuiltinLoss):
    """`loss = mean((log(1 + y_pred) - log(1 + y_true)) ** 2)`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error",
                 dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name,
                         dtype=dtype)


@keras_export("losses.Huber")
class Huber(BuiltinLoss):
    """Huber loss: squared error near zero, absolute error beyond `delta` (default 1.0)."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        check_positive_number(delta, "delta", "Huber()")
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


@keras_export("losses.LogCosh")
class LogCosh(BuiltinLoss):
    """Logarithm of the hyperbolic cosine of the error: like MSE near 0, like MAE far away."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


@keras_export("losses.CosineSimilarity")
class CosineSimilarity(BuiltinLoss):
    """Negative cosine similarity along `axis`: -1 when the vectors point the same way."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        check_axis(axis, "axis", "CosineSimilarity()")
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)
