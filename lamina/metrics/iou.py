"""Intersection-over-union metrics for segmentation and classification.

All of them accumulate one `(num_classes, num_classes)` confusion matrix (rows: true class,
columns: predicted class) and compute, per class, `tp / (tp + fp + fn)`; the result is the mean
over the target classes that occur at all. As in Keras the state is an integer matrix by default
(`dtype="int32"`), so fractional sample weights are truncated; pass `dtype="float32"` to keep them.
"""

import warnings

import torch

from lamina import config
from lamina.losses.loss import to_tensor
from lamina.metrics.metric import Metric
from lamina.registry.export import keras_export


class _IoUBase(Metric):
    _direction = "up"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int32")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive integer. Received: {num_classes!r}")
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes), "zeros",
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_tensor(y_pred, device=self._device)
        y_true = to_tensor(y_true, device=y_pred.device)
        if not self.sparse_y_true:
            y_true = torch.argmax(y_true, dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = torch.argmax(y_pred, dim=self.axis)
        # Class ids are truncated to integers (as a cast to the integer state dtype would).
        y_true = y_true.reshape(-1).to(torch.int64)
        y_pred = y_pred.reshape(-1).to(torch.int64)
        weight = self._sample_weight(sample_weight, y_true)
        # Ids outside [0, num_classes) and the ignored class are given weight 0 (no host check).
        valid = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (
            y_pred < self.num_classes)
        if self.ignore_class is not None:
            valid &= y_true != self.ignore_class
        cell = torch.where(valid, y_true * self.num_classes + y_pred, 0)
        weight = torch.where(valid, weight, torch.zeros_like(weight))
        self.total_cm.view(-1).index_add_(0, cell, weight)
        return self.total_cm  # (Keras returns the updated confusion matrix)

    def _sample_weight(self, sample_weight, y_true):
        state_dtype = self.total_cm.dtype
        if sample_weight is None:
            return torch.ones(y_true.shape, dtype=state_dtype, device=y_true.device)
        sample_weight = to_tensor(sample_weight, device=y_true.device)
        if sample_weight.is_floating_point() and not state_dtype.is_floating_point:
            warnings.warn(
                f"{type(self).__name__}: float sample weights are truncated to integers because "
                f"the metric's dtype is {self.dtype}. Pass integer weights, or create the metric "
                "with dtype='float32' to keep fractional weights.",
                stacklevel=3,
            )
        sample_weight = sample_weight.to(state_dtype).reshape(-1)
        return torch.broadcast_to(sample_weight, y_true.shape)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


@keras_export("metrics.IoU", aliases=("io_u",))
class IoU(_IoUBase):
    """Mean intersection-over-union of the classes in `target_class_ids`.

    Args:
        num_classes: how many classes the labels and predictions can take.
        target_class_ids: the classes to average over (e.g. `[0]` for one class's IoU).
        ignore_class: a label id left out of the counts (e.g. a "void" class).
        sparse_y_true / sparse_y_pred: False when labels / predictions are one-hot or scores
            over classes (their argmax along `axis` is taken).
        axis: the class axis of non-sparse inputs.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        target_class_ids = [int(i) for i in target_class_ids]
        if not target_class_ids:
            raise ValueError("target_class_ids must name at least one class id.")
        out_of_range = [i for i in target_class_ids if not 0 <= i < num_classes]
        if out_of_range:
            raise ValueError(
                f"Target class id {out_of_range[0]} is out of range, which is "
                f"[0, {num_classes})."
            )
        self.target_class_ids = target_class_ids
        self._target_ids = None

    def result(self):
        confusion = self.total_cm.to(torch.float32)
        true_positives = torch.diagonal(confusion)
        # row sum + column sum = 2 tp + fp + fn
        union = confusion.sum(dim=0) + confusion.sum(dim=1) - true_positives
        ids = self._target_ids
        if ids is None or ids.device != confusion.device:
            ids = self._target_ids = torch.tensor(self.target_class_ids, device=confusion.device)
        true_positives, union = true_positives[ids], union[ids]
        present = union > 1e-9  # classes never seen nor predicted do not count
        iou = torch.where(present, true_positives / (union + config.epsilon()), 0.0)
        return iou.sum() / (present.to(torch.float32).sum() + config.epsilon())

    def get_config(self):
        return {**super().get_config(), "target_class_ids": self.target_class_ids}


@keras_export("metrics.MeanIoU", aliases=("mean_io_u",))
class MeanIoU(IoU):
    """Mean intersection-over-union over all `num_classes` classes (see `IoU`)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


@keras_export("metrics.BinaryIoU", aliases=("binary_io_u",))
class BinaryIoU(IoU):
    """IoU of binary segmentation: predictions at or above `threshold` are class 1.

    Args:
        target_class_ids: `(0, 1)` averages both classes; `[1]` scores only the foreground.
        threshold: the score at which a prediction becomes class 1.
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_tensor(y_pred, device=self._device)
        predicted = (y_pred >= self.threshold).to(torch.int64)
        return super().update_state(y_true, predicted, sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                "target_class_ids": self.target_class_ids, "threshold": self.threshold}


@keras_export("metrics.OneHotIoU", aliases=("one_hot_io_u",))
class OneHotIoU(IoU):
    """`IoU` for one-hot labels and per-class scores (argmax along `axis` on both)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


@keras_export("metrics.OneHotMeanIoU", aliases=("one_hot_mean_io_u",))
class OneHotMeanIoU(MeanIoU):
    """`MeanIoU` for one-hot labels and per-class scores (argmax along `axis` on both)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
