"""Accumulating true/false positives/negatives at a list of thresholds, on the device.

Shared by Precision, Recall, TruePositives & co. and AUC. Two algorithms, chosen as Keras
chooses them so results agree to the last bucket:

* thresholds evenly spaced over [0, 1] (AUC's 200): each prediction falls in one bucket,
  bucket counts are summed with `scatter_add_` and turned into "above threshold" counts with a
  reversed cumulative sum: O(N + T) instead of O(N * T);
* any other thresholds: compare every prediction with every threshold.
"""

import numpy as np
import torch

from lamina import config
from lamina.losses.loss import squeeze_or_expand_to_same_rank, to_tensor

NEG_INF = -1e10
TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES = "tp", "fp", "tn", "fn"


class Thresholds:
    """Threshold values as a Python list (for decisions) and a tensor cached per device."""

    def __init__(self, values):
        self.values = [float(v) for v in values]
        self._tensor = None

    def on(self, device, dtype):
        tensor = self._tensor
        if tensor is None or tensor.device != device or tensor.dtype != dtype:
            tensor = self._tensor = torch.tensor(self.values, dtype=dtype, device=device)
        return tensor

    def __len__(self):
        return len(self.values)


def parse_thresholds(thresholds, default):
    """A list of floats; user thresholds must lie in [0, 1]."""
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    invalid = [t for t in values if t is None or not 0 <= t <= 1]
    if invalid:
        raise ValueError("Threshold values must be in [0, 1]: each of `thresholds` is a "
                         "probability (a prediction above it counts as positive). "
                         f"Received: thresholds={invalid}")
    return [float(t) for t in values]


def is_evenly_distributed(thresholds):
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def filter_top_k(x, k):
    """Keep the `k` largest entries of the last axis; push the others to -1e10. Ties go to the
    lower index, as in Keras (torch.topk leaves the order of ties unspecified)."""
    top_indices = torch.sort(x, dim=-1, descending=True, stable=True).indices[..., :k]
    keep = torch.zeros_like(x).scatter_(-1, top_indices, 1.0)
    return x * keep + NEG_INF * (1.0 - keep)


def update_confusion_matrix(variables, y_true, y_pred, thresholds, evenly_distributed=False,
                            top_k=None, class_id=None, sample_weight=None, multi_label=False,
                            label_weights=None):
    """Add this batch's counts to `variables` (a dict "tp"/"fp"/"tn"/"fn" -> Variable).

    `thresholds` is a `Thresholds` (the values as a list and as a tensor on the data's device).
    """
    dtype = next(iter(variables.values())).dtype
    y_pred = to_tensor(y_pred, dtype)
    y_true = to_tensor(y_true, dtype, y_pred.device)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype, y_pred.device).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.dim() == 1:
            raise ValueError(
                "When class_id is given, y_pred must have shape (num_samples, num_classes); "
                f"received y_pred.shape={tuple(y_pred.shape)}."
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    weights = _weights(sample_weight, label_weights, y_pred, multi_label)
    if evenly_distributed:
        counts = _update_bucketed(y_true, y_pred, thresholds, weights, multi_label)
    else:
        counts = _update_compared(y_true, y_pred, thresholds.on(y_pred.device, dtype), weights,
                                  multi_label)
    for key, variable in variables.items():
        variable.add_(counts[key]())


def _weights(sample_weight, label_weights, y_pred, multi_label):
    """Per-prediction weights (or None): sample weights times label weights, flattened."""
    weights = None
    if sample_weight is not None:
        weights = torch.broadcast_to(sample_weight.to(y_pred.dtype), y_pred.shape)
    if label_weights is not None:
        label_weights = torch.broadcast_to(label_weights.unsqueeze(0), y_pred.shape)
        weights = label_weights if weights is None else weights * label_weights
    if weights is not None and not multi_label:
        weights = weights.reshape(-1)
    return weights


def _update_bucketed(y_true, y_pred, thresholds, weights, multi_label):
    count = len(thresholds.values)
    # AUC's end thresholds are -eps and 1+eps: then predictions of exactly 0 still count.
    with_epsilon = thresholds.values[0] < 0 or thresholds.values[-1] > 1
    y_pred = torch.clamp(y_pred, 0.0, 1.0)
    y_true = (y_true != 0).to(y_pred.dtype)
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
    if weights is None:
        true_labels, false_labels = y_true, 1.0 - y_true
    else:
        true_labels, false_labels = y_true * weights, (1.0 - y_true) * weights
    buckets = torch.ceil(y_pred * (count - 1)) - 1
    if with_epsilon:
        buckets = torch.relu(buckets)
    # Without the epsilon, a prediction of exactly 0 is above no threshold: bucket -1 drops it
    # from the positives (it still counts in the totals, hence the negatives).
    in_range = (buckets >= 0).to(y_pred.dtype)
    buckets = buckets.clamp(min=0).long()
    tp = _reverse_cumsum(_bucket_sums(true_labels * in_range, buckets, count))
    fp = _reverse_cumsum(_bucket_sums(false_labels * in_range, buckets, count))
    return {
        TRUE_POSITIVES: lambda: tp,
        FALSE_POSITIVES: lambda: fp,
        TRUE_NEGATIVES: lambda: false_labels.sum(dim=0) - fp,
        FALSE_NEGATIVES: lambda: true_labels.sum(dim=0) - tp,
    }


def _bucket_sums(values, buckets, count):
    sums = torch.zeros((count,) + tuple(values.shape[1:]), dtype=values.dtype,
                       device=values.device)
    return sums.scatter_add_(0, buckets, values.expand_as(buckets).contiguous())


def _reverse_cumsum(x):
    return torch.flip(torch.cumsum(torch.flip(x, (0,)), dim=0), (0,))


def _update_compared(y_true, y_pred, thresholds, weights, multi_label):
    if multi_label:  # (T, N, L): every prediction against every threshold
        predictions, labels = y_pred.unsqueeze(0), (y_true != 0).unsqueeze(0)
        thresholds = thresholds.reshape(-1, 1, 1)
    else:  # (T, M) with M = all predictions flattened
        predictions, labels = y_pred.reshape(1, -1), (y_true != 0).reshape(1, -1)
        thresholds = thresholds.reshape(-1, 1)
    predicted_positive = predictions > thresholds
    weights = None if weights is None else weights.unsqueeze(0)

    def count(label, predicted):
        hits = label & predicted
        hits = hits.to(y_pred.dtype) if weights is None else torch.where(hits, weights, 0.0)
        return hits.sum(dim=1)

    return {
        TRUE_POSITIVES: lambda: count(labels, predicted_positive),
        FALSE_POSITIVES: lambda: count(~labels, predicted_positive),
        TRUE_NEGATIVES: lambda: count(~labels, ~predicted_positive),
        FALSE_NEGATIVES: lambda: count(labels, ~predicted_positive),
    }
