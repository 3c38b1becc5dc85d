"""Accuracy metrics: exact match, thresholded binary, categorical (argmax), sparse, top-k.

Each function returns 1.0/0.0 per sample; the classes average it (with sample weights).
"""

import torch

from lamina import config
from lamina.losses.loss import float_pair, squeeze_or_expand_to_same_rank, to_tensor
from lamina.metrics.reduction import BuiltinMeanMetric
from lamina.registry.export import keras_export
from lamina.utils.arguments import check_rate


def _floatx():
    # (floatx read at every update, its torch dtype from a fixed table: a cache that filled up
    # during a compiled step would make Dynamo trace the step again)
    name = config.floatx()
    return _FLOATX_DTYPES.get(name) or config.to_torch_dtype(name)


_FLOATX_DTYPES = {name: config.to_torch_dtype(name)
                  for name in ("float16", "bfloat16", "float32", "float64")}


def _prediction(y_pred):
    y_pred = to_tensor(y_pred)
    return y_pred if y_pred.is_floating_point() else y_pred.to(_floatx())


def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred` exactly."""
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).to(_floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `(y_pred > threshold)` equals the 0/1 label."""
    y_pred = _prediction(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = (y_pred > threshold).to(y_true.dtype)
    return (y_true == predicted).to(_floatx())


def categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of the one-hot label equals the argmax of the prediction."""
    y_pred = _prediction(y_pred)
    labels = torch.argmax(to_tensor(y_true, device=y_pred.device), dim=-1)
    original_shape = labels.shape
    reshape = labels.dim() == y_pred.dim()
    if reshape:
        labels = labels.squeeze(-1)
    matches = (labels == torch.argmax(y_pred, dim=-1)).to(_floatx())
    return matches.reshape(original_shape) if reshape else matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals the argmax of the prediction."""
    y_pred = _prediction(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device)
    if not y_true.is_floating_point() and not y_true.is_complex():
        y_true = y_true.long()
    else:
        y_true = y_true.to(y_pred.dtype)
    original_shape = y_true.shape
    reshape = y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1
    if reshape:
        y_true = y_true.squeeze(-1)
    predicted = torch.argmax(y_pred, dim=-1).to(y_true.dtype)
    matches = (y_true == predicted).to(_floatx())
    if reshape:
        matches = matches.reshape(original_shape)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def in_top_k(targets, predictions, k):
    """Whether each target's score is among the `k` largest of its row (ties count as in)."""
    target_scores = torch.gather(predictions, -1, targets.long().unsqueeze(-1))
    target_scores = torch.where(torch.isnan(target_scores), float("-inf"), target_scores)
    rank = 1 + torch.sum(predictions > target_scores, dim=-1)
    return rank <= k


def _top_k_matches(labels, y_pred, k):
    original_shape = labels.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    matches = in_top_k(labels.reshape(-1), y_pred, k).to(_floatx())
    return matches.reshape(original_shape)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the `k` highest predictions."""
    y_pred = _prediction(y_pred)
    labels = torch.argmax(to_tensor(y_true, device=y_pred.device), dim=-1)
    return _top_k_matches(labels, y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the `k` highest predictions.

    With `from_sorted_ids=True`, `y_pred` already holds class ids sorted by score.
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device)
    if from_sorted_ids:
        original_shape = y_true.shape
        ids = y_pred.reshape(-1, y_pred.shape[-1])[:, :k]
        matches = torch.any(ids == y_true.reshape(-1, 1).to(ids.dtype), dim=1).to(_floatx())
        return matches.reshape(original_shape)
    return _top_k_matches(y_true.long(), _prediction(y_pred), k)


@keras_export("metrics.Accuracy", aliases=("accuracy",))
class Accuracy(BuiltinMeanMetric):
    """How often predictions equal labels exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


@keras_export("metrics.BinaryAccuracy", aliases=("binary_accuracy",))
class BinaryAccuracy(BuiltinMeanMetric):
    """How often `y_pred > threshold` matches the binary label."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        check_rate(threshold, "threshold", "BinaryAccuracy()")
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


@keras_export("metrics.CategoricalAccuracy", aliases=("categorical_accuracy",))
class CategoricalAccuracy(BuiltinMeanMetric):
    """How often the predicted class (argmax) matches the one-hot label."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


@keras_export("metrics.SparseCategoricalAccuracy", aliases=("sparse_categorical_accuracy",))
class SparseCategoricalAccuracy(BuiltinMeanMetric):
    """How often the predicted class (argmax) matches the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


@keras_export("metrics.TopKCategoricalAccuracy", aliases=("top_k_categorical_accuracy",))
class TopKCategoricalAccuracy(BuiltinMeanMetric):
    """How often the one-hot label is among the `k` (default 5) highest predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        _check_k(k, "TopKCategoricalAccuracy()")
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


@keras_export(
    "metrics.SparseTopKCategoricalAccuracy",
    aliases=("sparse_top_k_categorical_accuracy",),
)
class SparseTopKCategoricalAccuracy(BuiltinMeanMetric):
    """How often the integer label is among the `k` (default 5) highest predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        _check_k(k, "SparseTopKCategoricalAccuracy()")
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        config = super().get_config()
        if not self.from_sorted_ids:
            del config["from_sorted_ids"]  # as Keras: only written when set
        return config


def _check_k(k, owner):
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"{owner}: `k` (how many top predictions count) must be a positive "
                         f"integer. Received: k={k!r}")
