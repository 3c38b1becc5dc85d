"""The best value of one rate while another is held to a minimum.

`SensitivityAtSpecificity(0.9)` is the highest sensitivity reached at any threshold whose
specificity is at least 0.9; likewise `SpecificityAtSensitivity`, `PrecisionAtRecall` and
`RecallAtPrecision`. Confusion counts are accumulated at `num_thresholds` thresholds evenly
spread over [0, 1] (the same bucketed counting as `AUC`); `result()` scans them on the device.
"""

import torch

from lamina.metrics import confusion_matrix as cm
from lamina.metrics.metric import Metric
from lamina.metrics.reduction import divide_no_nan
from lamina.registry.export import keras_export


class _RateAtConstraint(Metric):
    """Base: counts at many thresholds, then the best `_maximized` rate under a constraint."""

    _direction = "up"
    _constraint_name = None  # the constructor argument holding the required minimum

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(
                f"Argument `{self._constraint_name}` must be in the range [0, 1]. "
                f"Received: {self._constraint_name}={value!r}"
            )
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or (
                num_thresholds <= 0):
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds!r}"
            )
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            thresholds, self._evenly = [0.5], False
        else:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            thresholds, self._evenly = [0.0] + inner + [1.0], True
        self.thresholds = thresholds
        self._thresholds = cm.Thresholds(thresholds)
        for count in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, count, self.add_variable((len(thresholds),), "zeros", name=count))
        setattr(self, self._constraint_name, value)

    def update_state(self, y_true, y_pred, sample_weight=None):
        cm.update_confusion_matrix(
            {cm.TRUE_POSITIVES: self.true_positives, cm.FALSE_POSITIVES: self.false_positives,
             cm.TRUE_NEGATIVES: self.true_negatives, cm.FALSE_NEGATIVES: self.false_negatives},
            y_true, y_pred, self._thresholds, self._evenly, class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def _rates(self):
        tp, fp, tn, fn = (self.true_positives, self.false_positives, self.true_negatives,
                          self.false_negatives)
        return {
            "sensitivity": divide_no_nan(tp, tp + fn),  # = recall
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }

    def _best_under_constraint(self, constrained, maximized):
        feasible = constrained >= self.value
        return torch.where(feasible, maximized, torch.zeros_like(maximized)).amax().clamp(min=0)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._constraint_name: self.value}


@keras_export("metrics.SensitivityAtSpecificity", aliases=("sensitivity_at_specificity",))
class SensitivityAtSpecificity(_RateAtConstraint):
    """The best sensitivity (recall) at thresholds whose specificity is >= `specificity`.

    Args:
        specificity: the required minimum specificity, in [0, 1].
        num_thresholds: how many thresholds to try (1 means just 0.5).
        class_id: score a single class of a multi-class output.
    """

    _constraint_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._best_under_constraint(rates["specificity"], rates["sensitivity"])


@keras_export("metrics.SpecificityAtSensitivity", aliases=("specificity_at_sensitivity",))
class SpecificityAtSensitivity(_RateAtConstraint):
    """The best specificity at thresholds whose sensitivity is >= `sensitivity`."""

    _constraint_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._best_under_constraint(rates["sensitivity"], rates["specificity"])


@keras_export("metrics.PrecisionAtRecall", aliases=("precision_at_recall",))
class PrecisionAtRecall(_RateAtConstraint):
    """The best precision at thresholds whose recall is >= `recall`."""

    _constraint_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._best_under_constraint(rates["sensitivity"], rates["precision"])


@keras_export("metrics.RecallAtPrecision", aliases=("recall_at_precision",))
class RecallAtPrecision(_RateAtConstraint):
    """The best recall at thresholds whose precision is >= `precision`."""

    _constraint_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._best_under_constraint(rates["precision"], rates["sensitivity"])
