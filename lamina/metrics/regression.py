"""Regression metrics: running means of the regression losses, RMSE and cosine similarity."""

import torch

from lamina.losses import regression as regression_losses
from lamina.losses.loss import float_pair, squeeze_or_expand_to_same_rank
from lamina.metrics.reduction import BuiltinMeanMetric, Mean
from lamina.registry.export import keras_export


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine of the angle between `y_true` and `y_pred` along `axis` (1 = same direction)."""
    return -regression_losses.cosine_similarity(y_true, y_pred, axis=axis)


@keras_export("metrics.MeanSquaredError", aliases=("mse", "MSE", "mean_squared_error"))
class MeanSquaredError(BuiltinMeanMetric):
    """Running mean of the squared error."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(regression_losses.mean_squared_error, name=name, dtype=dtype)


@keras_export("metrics.MeanAbsoluteError", aliases=("mae", "MAE", "mean_absolute_error"))
class MeanAbsoluteError(BuiltinMeanMetric):
    """Running mean of the absolute error."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(regression_losses.mean_absolute_error, name=name, dtype=dtype)


@keras_export(
    "metrics.MeanAbsolutePercentageError",
    aliases=("mape", "MAPE", "mean_absolute_percentage_error"),
)
class MeanAbsolutePercentageError(BuiltinMeanMetric):
    """Running mean of the absolute percentage error."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(regression_losses.mean_absolute_percentage_error, name=name, dtype=dtype)


@keras_export(
    "metrics.MeanSquaredLogarithmicError",
    aliases=("msle", "MSLE", "mean_squared_logarithmic_error"),
)
class MeanSquaredLogarithmicError(BuiltinMeanMetric):
    """Running mean of the squared logarithmic error."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(regression_losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


@keras_export("metrics.LogCoshError", aliases=("logcosh", "log_cosh_error"))
class LogCoshError(BuiltinMeanMetric):
    """Running mean of log(cosh(error))."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(regression_losses.log_cosh, name=name, dtype=dtype)


@keras_export("metrics.CosineSimilarity", aliases=("cosine_similarity",))
class CosineSimilarity(BuiltinMeanMetric):
    """Running mean of the cosine similarity between labels and predictions."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


@keras_export("metrics.RootMeanSquaredError", aliases=("root_mean_squared_error",))
class RootMeanSquaredError(Mean):
    """Square root of the running (weighted) mean of squared errors."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = float_pair(y_true, y_pred)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true.to(self._torch_dtype),
                                                        y_pred.to(self._torch_dtype))
        super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return torch.sqrt(super().result())
