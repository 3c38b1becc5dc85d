"""Losses between distributions or counts: Kullback-Leibler divergence and Poisson."""

import torch

from lamina import config
from lamina.losses.loss import float_pair, squeeze_or_expand_to_same_rank
from lamina.losses.wrapper import BuiltinLoss
from lamina.registry.export import keras_export


@keras_export(
    "losses.kl_divergence", "losses.KLD", "losses.kld", "losses.kullback_leibler_divergence",
    "metrics.kl_divergence",
)
def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred), axis=-1)`, both clipped to [epsilon, 1]."""
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    eps = config.epsilon()
    y_true = torch.clamp(y_true, eps, 1.0)
    y_pred = torch.clamp(y_pred, eps, 1.0)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


@keras_export("losses.poisson", "metrics.poisson")
def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)`: for count targets."""
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return torch.mean(y_pred - y_true * torch.log(y_pred + config.epsilon()), dim=-1)


@keras_export("losses.KLDivergence")
class KLDivergence(BuiltinLoss):
    """Kullback-Leibler divergence of `y_pred` from `y_true` (both probability distributions)."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


@keras_export("losses.Poisson")
class Poisson(BuiltinLoss):
    """Poisson loss for count data: `y_pred - y_true * log(y_pred)`."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)
