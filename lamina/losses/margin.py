"""Hinge losses for maximum-margin classifiers (labels -1/1; 0/1 labels are converted)."""

import torch

from lamina.losses.loss import float_pair, squeeze_or_expand_to_same_rank
from lamina.losses.wrapper import BuiltinLoss
from lamina.registry.export import keras_export


def binary_labels_to_signs(y_true):
    """0/1 labels become -1/1; anything else (already -1/1) is left alone.

    Decided on the device with `torch.where`, so the check costs no host round trip.
    """
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def _margins(y_true, y_pred):
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return torch.clamp(1.0 - binary_labels_to_signs(y_true) * y_pred, min=0.0)


@keras_export("losses.hinge", "metrics.hinge")
def hinge(y_true, y_pred):
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)`."""
    return _margins(y_true, y_pred).mean(dim=-1)


@keras_export("losses.squared_hinge", "metrics.squared_hinge")
def squared_hinge(y_true, y_pred):
    """`mean(max(1 - y_true * y_pred, 0) ** 2, axis=-1)`."""
    return torch.square(_margins(y_true, y_pred)).mean(dim=-1)


@keras_export("losses.categorical_hinge", "metrics.categorical_hinge")
def categorical_hinge(y_true, y_pred):
    """`max(0, 1 + max((1 - y_true) * y_pred) - sum(y_true * y_pred))` for one-hot `y_true`."""
    y_true, y_pred = float_pair(y_true, y_pred)
    positive = torch.sum(y_true * y_pred, dim=-1)
    negative = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp(negative - positive + 1.0, min=0.0)


@keras_export("losses.Hinge")
class Hinge(BuiltinLoss):
    """Hinge loss: `max(1 - y_true * y_pred, 0)`, averaged."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


@keras_export("losses.SquaredHinge")
class SquaredHinge(BuiltinLoss):
    """Squared hinge loss: `max(1 - y_true * y_pred, 0) ** 2`, averaged."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


@keras_export("losses.CategoricalHinge")
class CategoricalHinge(BuiltinLoss):
    """Categorical hinge loss for one-hot labels."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)
