"""CTC (Connectionist Temporal Classification) loss, with Keras's conventions.

`y_true` is `(batch, max_label_length)` integer labels padded with 0: class 0 is the blank (and
the padding), so real classes are 1 .. num_classes - 1. `y_pred` is `(batch, time, num_classes)`
*logits* (no softmax). Every sample uses all `time` frames; a label's length is its count of
non-zero entries. The per-sample loss is torch's `ctc_loss` (the negative log likelihood of
the label). A label that cannot fit in the frames gives `inf` (Keras on JAX gives a large
finite number instead; Keras on torch gives `inf` too).
"""

import torch

from lamina.losses.wrapper import BuiltinLoss
from lamina.ops import nn as nn_ops
from lamina.registry.export import keras_export

BLANK = 0  # Keras's CTC loss always uses class 0 as the blank / padding label


@keras_export("losses.ctc")
def ctc(y_true, y_pred):
    """Per-sample CTC loss of logits `y_pred` `(batch, time, classes)` for labels `y_true`
    `(batch, max_length)` padded with 0 (the blank)."""
    y_true = torch.as_tensor(y_true)
    y_pred = torch.as_tensor(y_pred)
    if y_true.dim() != 2:
        raise ValueError(
            "CTC targets `y_true` must have shape (batch_size, max_length), integer labels "
            f"padded with 0. Received: y_true.shape={tuple(y_true.shape)}"
        )
    if y_pred.dim() != 3:
        raise ValueError(
            "CTC predictions `y_pred` must be logits of shape (batch_size, max_length, "
            f"num_classes). Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    y_true = y_true.to(y_pred.device).long()
    batch, frames = y_pred.shape[0], y_pred.shape[1]
    label_length = (y_true != BLANK).sum(dim=-1)
    input_length = torch.full((batch,), frames, dtype=torch.long, device=y_pred.device)
    return nn_ops.ctc_loss(y_true, y_pred, label_length, input_length, mask_index=BLANK)


@keras_export("losses.CTC")
class CTC(BuiltinLoss):
    """CTC loss of logits `(batch, time, classes)` against 0-padded labels `(batch, length)`.

    Class 0 is the blank label: do not use it for a real class.

    Example:
        model.compile(optimizer="adam", loss=lamina.losses.CTC())
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)
