"""Threshold metrics: TruePositives & co., Precision and Recall.

A prediction counts as positive when it is *above* the threshold (default 0.5). With several
thresholds the result has one value per threshold.
"""

from lamina.metrics import confusion_matrix as cm
from lamina.metrics.metric import Metric
from lamina.metrics.reduction import divide_no_nan
from lamina.registry.export import keras_export


class _ConfusionCount(Metric):
    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = cm.parse_thresholds(thresholds, default=0.5)
        self._thresholds = cm.Thresholds(self.thresholds)
        self._evenly = cm.is_evenly_distributed(self.thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), "zeros", name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        cm.update_confusion_matrix({self._condition: self.accumulator}, y_true, y_pred,
                                   self._thresholds, self._evenly, sample_weight=sample_weight)

    def result(self):
        value = self.accumulator.detach().clone()
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


@keras_export("metrics.TruePositives", aliases=("true_positives",))
class TruePositives(_ConfusionCount):
    """The (weighted) number of positive labels predicted positive."""

    _condition = cm.TRUE_POSITIVES


@keras_export("metrics.FalsePositives", aliases=("false_positives",))
class FalsePositives(_ConfusionCount):
    """The (weighted) number of negative labels predicted positive."""

    _condition = cm.FALSE_POSITIVES


@keras_export("metrics.TrueNegatives", aliases=("true_negatives",))
class TrueNegatives(_ConfusionCount):
    """The (weighted) number of negative labels predicted negative."""

    _condition = cm.TRUE_NEGATIVES


@keras_export("metrics.FalseNegatives", aliases=("false_negatives",))
class FalseNegatives(_ConfusionCount):
    """The (weighted) number of positive labels predicted negative."""

    _condition = cm.FALSE_NEGATIVES


class _PrecisionRecall(Metric):
    """Shared by Precision (tp / (tp + fp)) and Recall (tp / (tp + fn))."""

    _other = None  # the second count: false positives or false negatives

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)
                                  or top_k < 1):
            raise ValueError(f"{type(self).__name__}(): `top_k` (how many of the highest "
                             "predictions count as positive) must be a positive integer or None. "
                             f"Received: top_k={top_k!r}")
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        # With top_k, everything in the top k counts as predicted positive.
        default = 0.5 if top_k is None else cm.NEG_INF
        self.thresholds = cm.parse_thresholds(thresholds, default=default)
        self._thresholds = cm.Thresholds(self.thresholds)
        self._evenly = cm.is_evenly_distributed(self.thresholds)
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        other_name = "false_positives" if self._other == cm.FALSE_POSITIVES else "false_negatives"
        setattr(self, other_name, self.add_variable(shape, "zeros", name=other_name))
        self._other_count = getattr(self, other_name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        cm.update_confusion_matrix(
            {cm.TRUE_POSITIVES: self.true_positives, self._other: self._other_count},
            y_true, y_pred, self._thresholds, self._evenly, top_k=self.top_k,
            class_id=self.class_id, sample_weight=sample_weight,
        )

    def result(self):
        value = divide_no_nan(self.true_positives, self.true_positives + self._other_count)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


@keras_export("metrics.Precision", aliases=("precision",))
class Precision(_PrecisionRecall):
    """The fraction of positive predictions that are right: `tp / (tp + fp)`.

    Args:
        thresholds: a float or list of floats in [0, 1]; predictions above count as positive.
        top_k: only the `k` highest predictions of each sample count as positive.
        class_id: score a single class of a multi-class output.
    """

    _other = cm.FALSE_POSITIVES


@keras_export("metrics.Recall", aliases=("recall",))
class Recall(_PrecisionRecall):
    """The fraction of positive labels that are found: `tp / (tp + fn)`.

    Args:
        thresholds: a float or list of floats in [0, 1]; predictions above count as positive.
        top_k: only the `k` highest predictions of each sample count as positive.
        class_id: score a single class of a multi-class output.
    """

    _other = cm.FALSE_NEGATIVES
