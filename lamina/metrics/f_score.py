"""F-beta and F1 scores: harmonic means of precision and recall, per class or averaged.

Predictions are binarized first (above `threshold`, or the row's maximum when no threshold is
given); true positives, false positives, false negatives and the class supports are accumulated
per class (or summed over classes for `average="micro"`). The state is sized from the first
batch, since the number of classes is only known then.
"""

import torch

from lamina import config
from lamina.losses.loss import to_tensor
from lamina.metrics.metric import Metric
from lamina.registry.export import keras_export

_AVERAGES = (None, "micro", "macro", "weighted")


@keras_export("metrics.FBetaScore", aliases=("fbeta_score", "f_beta_score"))
class FBetaScore(Metric):
    """F-beta score `(1 + b^2) * precision * recall / (b^2 * precision + recall)`.

    Inputs are `(batch, classes)`: one-hot or multi-hot labels and scores.

    Args:
        average: None (one score per class), "micro" (from counts summed over classes),
            "macro" (plain mean of the class scores) or "weighted" (mean weighted by how many
            true labels each class has).
        beta: weight of recall against precision (> 0); 1 gives the F1 score.
        threshold: scores above it count as predicted positive; None marks only each row's
            highest score as positive.
    """

    _direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise ValueError(
                f"Invalid `average` argument value. Expected one of {_AVERAGES}. "
                f"Received: average={average!r}"
            )
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta <= 0:
            raise ValueError(f"`beta` must be a number > 0. Received: beta={beta!r}")
        if threshold is not None and (
            isinstance(threshold, bool) or not isinstance(threshold, (int, float))
            or not 0 < threshold <= 1
        ):
            raise ValueError(
                "`threshold` must be None or a number with 0 < threshold <= 1. "
                f"Received: threshold={threshold!r}"
            )
        self.average = average
        self.beta = float(beta)
        self.threshold = None if threshold is None else float(threshold)
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs of shape (batch_size, num_classes). "
                f"Received: y_true.shape={tuple(y_true_shape)}, "
                f"y_pred.shape={tuple(y_pred_shape)}."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for name in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):
            setattr(self, name, self.add_variable(shape, "zeros", name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_tensor(y_pred, self._torch_dtype, self._device)
        y_true = to_tensor(y_true, self._torch_dtype, y_pred.device)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            row_max = y_pred.amax(dim=-1, keepdim=True)
            predicted = (y_pred >= row_max) & (y_pred.abs() > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.to(self._torch_dtype)
        weight = None
        if sample_weight is not None:
            weight = to_tensor(sample_weight, self._torch_dtype, y_pred.device)
            if weight.dim() <= 1:
                weight = weight.reshape(-1, 1)  # one weight per sample, over all classes
        axis = None if self.average == "micro" else 0

        def weighted_sum(values):
            if weight is not None:
                values = values * weight
            return values.sum() if axis is None else values.sum(dim=axis)

        self.true_positives.add_(weighted_sum(predicted * y_true))
        self.false_positives.add_(weighted_sum(predicted * (1 - y_true)))
        self.false_negatives.add_(weighted_sum((1 - predicted) * y_true))
        self.intermediate_weights.add_(weighted_sum(y_true))

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._torch_dtype, device=self._device)
        eps = config.epsilon()
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        beta_squared = self.beta ** 2
        score = (1 + beta_squared) * precision * recall / (beta_squared * precision + recall + eps)
        if self.average == "weighted":
            support = self.intermediate_weights
            return (score * support / (support.sum() + eps)).sum()
        if self.average is not None:
            return score.mean()
        return score

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


@keras_export("metrics.F1Score", aliases=("f1_score",))
class F1Score(FBetaScore):
    """F1 score `2 * precision * recall / (precision + recall)` (FBetaScore with beta=1).

    Args:
        average: None, "micro", "macro" or "weighted" (see `FBetaScore`).
        threshold: scores above it count as positive; None marks each row's highest score.
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
