"""AUC: area under the ROC or precision-recall curve, from counts at fixed thresholds.

The curve is sampled at `num_thresholds` thresholds evenly spread over [0, 1] (the end ones
nudged by epsilon so predictions of exactly 0 and 1 are counted), the confusion counts are
accumulated on the device, and `result()` integrates the curve with a Riemann sum.
"""

import torch

from lamina import config
from lamina.metrics import confusion_matrix as cm
from lamina.metrics.metric import Metric
from lamina.metrics.reduction import divide_no_nan
from lamina.registry.export import keras_export

_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


@keras_export("metrics.AUC", aliases=("auc",))
class AUC(Metric):
    """Area under the ROC (default) or PR curve.

    Args:
        num_thresholds: how many thresholds sample the curve (default 200; more = finer).
        curve: "ROC" or "PR" (or "PRGAIN").
        summation_method: "interpolation" (trapezoids; for PR the interpolation of Davis &
            Goadrich), "minoring" or "majoring" (lower / upper Riemann sums).
        thresholds: explicit thresholds in [0, 1] instead of `num_thresholds`.
        multi_label: score each label of a multi-label output separately, then average.
        num_labels: the number of labels (only with multi_label; else found from the data).
        label_weights: per-label weights of the average (multi_label) or of the counts.
        from_logits: apply a sigmoid to `y_pred` first.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        self.curve = _standardize_curve(curve)
        self.summation_method = _standardize_summation(summation_method)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(cm.parse_thresholds(thresholds, default=0.5))
            self.num_thresholds = len(inner) + 2
            evenly = cm.is_evenly_distributed([0.0] + inner + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "num_thresholds must be an integer > 1; received "
                    f"num_thresholds={num_thresholds}."
                )
            self.num_thresholds = num_thresholds
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        eps = config.epsilon()
        self._thresholds = cm.Thresholds([0.0 - eps] + inner + [1.0 + eps])
        self._evenly = evenly
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        self._label_weights = None
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build(num_labels)
        elif num_labels:
            raise ValueError("num_labels is only used with multi_label=True.")
        else:
            self._build(None)

    @property
    def thresholds(self):
        return list(self._thresholds.values)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, num_labels)
        self._num_labels = num_labels
        for name in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, name, self.add_variable(shape, "zeros", name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred, device=self._device)
        if not self._built:
            if y_pred.dim() != 2:
                raise ValueError(
                    "With multi_label=True, y_pred must have rank 2 (batch, labels); received "
                    f"shape {tuple(y_pred.shape)}."
                )
            self._build(y_pred.shape[1])
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        label_weights = None if self.multi_label else self._label_weights_tensor()
        cm.update_confusion_matrix(
            {cm.TRUE_POSITIVES: self.true_positives, cm.TRUE_NEGATIVES: self.true_negatives,
             cm.FALSE_POSITIVES: self.false_positives, cm.FALSE_NEGATIVES: self.false_negatives},
            y_true, y_pred, self._thresholds, self._evenly, sample_weight=sample_weight,
            multi_label=self.multi_label, label_weights=label_weights,
        )

    def _label_weights_tensor(self):
        if self.label_weights is None:
            return None
        if self._label_weights is None or self._label_weights.device != self._device:
            self._label_weights = torch.tensor(self.label_weights, dtype=self._torch_dtype,
                                               device=self._device)
        return self._label_weights

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._average_over_labels(self._interpolated_pr_terms())
        tp, fp, tn, fn = (self.true_positives, self.false_positives, self.true_negatives,
                          self.false_negatives)
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:
            x, y = _precision_recall_gains(tp, fp, tn, fn)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average_over_labels((x[:-1] - x[1:]) * heights)

    def _interpolated_pr_terms(self):
        # Precision interpolated linearly in the number of positives between thresholds
        # (Davis & Goadrich 2006), integrated in closed form per interval.
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        positives = tp + fp
        dp = positives[:-1] - positives[1:]
        slope = divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - slope * positives[1:]
        both_positive = (positives[:-1] > 0) & (positives[1:] > 0)
        ratio = torch.where(both_positive,
                            divide_no_nan(positives[:-1], torch.clamp(positives[1:], min=0)),
                            torch.ones_like(positives[1:]))
        return divide_no_nan(slope * (dtp + intercept * torch.log(ratio)),
                             torch.clamp(tp[1:] + fn[1:], min=0))

    def _average_over_labels(self, terms):
        if not self.multi_label:
            return terms.sum()
        by_label = terms.sum(dim=0)
        weights = self._label_weights_tensor()
        if weights is None:
            return by_label.mean()
        return divide_no_nan((by_label * weights).sum(), weights.sum())

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _precision_recall_gains(tp, fp, tn, fn):
    scale = divide_no_nan(tp + fn, tn + fp)
    recall_gain = 1.0 - scale * divide_no_nan(fn, tp)
    precision_gain = 1.0 - scale * divide_no_nan(fp, tp)
    recall_gain = torch.clamp(torch.where(tp == 0, 0.0, recall_gain), min=0.0)
    precision_gain = torch.where(tp == 0, 1.0, precision_gain)
    return recall_gain, precision_gain


def _standardize_curve(curve):
    value = _CURVES.get(str(curve).lower())
    if value is None:
        raise ValueError(f'Invalid AUC curve "{curve}". Expected one of "ROC", "PR", "PRGAIN".')
    return value


def _standardize_summation(method):
    value = str(method).lower()
    if value not in _SUMMATIONS:
        raise ValueError(
            f'Invalid AUC summation_method "{method}". Expected one of {list(_SUMMATIONS)}.'
        )
    return value
