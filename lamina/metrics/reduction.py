"""Reducing metrics: `Sum`, `Mean`, and `MeanMetricWrapper` (the mean of a per-sample function).

Most built-in metrics are a `MeanMetricWrapper` around a function returning one value per
sample: accuracy, MSE, crossentropy ... Sample weights follow Keras: per-sample values are
weighted and the weights summed into `count`, so `result = sum(w * v) / sum(w)`.
"""

import torch

from lamina.losses.loss import (
    apply_mask,
    check_function_kwargs,
    squeeze_or_expand_to_same_rank,
    to_tensor,
)
from lamina.metrics.metric import Metric
from lamina.registry.export import keras_export
from lamina.registry.serialization import serialize_keras_object


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype, device=None):
    """One (weighted) value per sample, and the matching per-sample weights.

    Values with more axes than the weights are first reduced (with `reduce_fn`) down to the
    weights' rank; weights with more than one axis are reduced to one per sample.
    """
    mask = getattr(values, "_keras_mask", None)
    values = to_tensor(values, dtype, device)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype, values.device)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_rank = sample_weight.dim()
        if values.dim() > weight_rank:
            values = reduce_fn(values, dim=tuple(range(weight_rank, values.dim())))
        sample_weight = torch.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_rank > 1:
            sample_weight = reduce_fn(sample_weight, dim=tuple(range(1, weight_rank)))
    if values.dim() > 1:
        if values.numel() == values.shape[0] and values.is_floating_point() and \
                reduce_fn in (torch.mean, torch.sum):
            # One value per sample already ((N, 1) from a single-unit output): the mean or sum
            # of one value is that value, so a view replaces the reduction kernel.
            values = values.reshape(values.shape[0])
        else:
            values = reduce_fn(values, dim=tuple(range(1, values.dim())))
    return values, sample_weight


@keras_export("metrics.Sum", aliases=("sum",))
class Sum(Metric):
    """The (weighted) sum of the values seen: `[1, 3, 5, 7]` -> 16."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, torch.sum,
                                                self._torch_dtype, self._device)
        self.total.add_(values.sum())

    def result(self):
        return self.total.detach().clone()


@keras_export("metrics.Mean", aliases=("mean",))
class Mean(Metric):
    """The (weighted) mean of the values seen: `[1, 3, 5, 7]` -> 4; weights `[1, 1, 0, 0]` -> 2."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, torch.mean,
                                                            self._torch_dtype, self._device)
        self.total.add_(values.sum())
        if sample_weight is not None:
            self.count.add_(sample_weight.sum())
        else:
            self.count.add_(values.shape[0] if values.dim() >= 1 else 1)

    def result(self):
        return divide_no_nan(self.total, self.count)


def divide_no_nan(numerator, denominator):
    """`numerator / denominator`, with 0 where the denominator is 0 (no host check needed)."""
    safe = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
    return torch.where(denominator == 0, torch.zeros_like(numerator), numerator / safe)


@keras_export("metrics.MeanMetricWrapper", aliases=("mean_metric_wrapper",))
class MeanMetricWrapper(Mean):
    """The running mean of `fn(y_true, y_pred, **kwargs)`, a function giving per-sample values.

    Example:
        metric = MeanMetricWrapper(lambda t, p: (t - p).abs().mean(-1), name="my_mae")
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper expects a callable fn(y_true, y_pred); got {fn!r}.")
        check_function_kwargs(fn, kwargs, f"MeanMetricWrapper({getattr(fn, '__name__', fn)})",
                              what="metric")
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, self._torch_dtype, reduction="sum")
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = {**super().get_config(), "fn": serialize_keras_object(self._fn)}
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            from lamina.metrics.functions import function_by_name

            config["fn"] = function_by_name(config["fn"])
        return cls(**config)


class BuiltinMeanMetric(MeanMetricWrapper):
    """Base of the built-in wrappers: their config is their constructor arguments, not `fn`."""

    def get_config(self):
        return {**Metric.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
