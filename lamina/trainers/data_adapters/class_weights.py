"""`class_weight={class: weight}` -> one weight per sample, computed on the targets' device.

Labels are read as Keras does: the argmax of one-hot targets, else the (rounded) first value of
each row. Classes missing from the dict weigh 1.0.
"""

import torch

from lamina import config
from lamina.utils import tree


class ClassWeights:
    def __init__(self, class_weight):
        if not isinstance(class_weight, dict):
            raise TypeError(
                "`class_weight` must be a dict mapping class indices to weights, e.g. "
                f"{{0: 1.0, 1: 5.0}}. Received: {type(class_weight).__name__}."
            )
        for key in class_weight:
            if isinstance(key, bool) or not hasattr(key, "__index__") or int(key) < 0:
                raise ValueError(
                    "`class_weight` keys must be non-negative integer class indices. "
                    f"Received key {key!r}."
                )
        self.class_weight = {int(k): float(v) for k, v in class_weight.items()}
        self._tables = {}  # one lookup tensor per device, made once

    def _table(self, device):
        if device not in self._tables:
            size = max(self.class_weight, default=-1) + 1
            values = [self.class_weight.get(c, 1.0) for c in range(size)]
            self._tables[device] = torch.tensor(values, dtype=config.to_torch_dtype(None),
                                                device=device)
        return self._tables[device]

    def sample_weights(self, y, sample_weight=None):
        """The per-sample weights for targets `y` (refusing a `sample_weight` given alongside)."""
        if sample_weight is not None:
            raise ValueError(
                "You cannot pass both `class_weight` and `sample_weight` (or a data source whose "
                "batches carry sample weights); fold the class weights into the sample weights "
                "instead."
            )
        if y is None or tree.is_nested(y):
            raise ValueError(
                "`class_weight` is only supported for models with a single output and needs "
                "targets `y`. Pass per-sample weights with `sample_weight` instead."
            )
        labels = y
        if labels.ndim > 1 and labels.shape[-1] > 1:
            labels = labels.argmax(dim=-1)
        labels = labels.reshape(labels.shape[0], -1)[:, 0]
        if labels.is_floating_point():
            labels = torch.round(labels)
        labels = labels.long()
        table = self._table(labels.device)
        known = (labels >= 0) & (labels < table.shape[0])
        weights = table[labels.clamp(0, max(table.shape[0] - 1, 0))] if table.numel() else None
        ones = torch.ones(labels.shape, dtype=table.dtype, device=labels.device)
        return ones if weights is None else torch.where(known, weights, ones)
