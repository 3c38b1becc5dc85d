"""Correlation metrics: Pearson's r and Lin's concordance correlation, per sample.

Both are computed along `axis` (the features of each sample) and averaged over samples, so a
batch gives one value per sample as for the other mean metrics.
"""

import torch

from lamina import config
from lamina.losses.loss import float_pair, squeeze_or_expand_to_same_rank
from lamina.metrics.reduction import BuiltinMeanMetric
from lamina.registry.export import keras_export


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation coefficient between `y_true` and `y_pred` along `axis`."""
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    true_centered = y_true - y_true.mean(dim=axis, keepdim=True)
    pred_centered = y_pred - y_pred.mean(dim=axis, keepdim=True)
    true_scaled = true_centered / true_centered.std(dim=axis, keepdim=True, correction=0)
    pred_scaled = pred_centered / pred_centered.std(dim=axis, keepdim=True, correction=0)
    return (true_scaled * pred_scaled).mean(dim=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation: `2 cov / (var_true + var_pred + (mean diff)^2)`."""
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    true_mean = y_true.mean(dim=axis, keepdim=True)
    pred_mean = y_pred.mean(dim=axis, keepdim=True)
    true_var = y_true.var(dim=axis, keepdim=True, correction=0)
    pred_var = y_pred.var(dim=axis, keepdim=True, correction=0)
    covariance_terms = (y_true - true_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + torch.square(true_mean - pred_mean)
    return (2 * covariance_terms / (norm + config.epsilon())).mean(dim=axis)


@keras_export("metrics.PearsonCorrelation", aliases=("pearson_correlation",))
class PearsonCorrelation(BuiltinMeanMetric):
    """Running mean of the per-sample Pearson correlation along `axis`."""

    _direction = "up"

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


@keras_export("metrics.ConcordanceCorrelation", aliases=("concordance_correlation",))
class ConcordanceCorrelation(BuiltinMeanMetric):
    """Running mean of the per-sample concordance correlation along `axis`."""

    _direction = "up"

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
