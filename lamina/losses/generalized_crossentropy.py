"""Generalized cross entropy (Zhang & Sabuncu, 2018): (1 - p**q) / q with p the predicted
probability of the true class; near cross entropy as q -> 0, near MAE as q -> 1."""

import torch

from lamina.losses.loss import float_pair
from lamina.losses.wrapper import BuiltinLoss
from lamina.registry.export import keras_export


@keras_export("losses.categorical_generalized_cross_entropy")
def categorical_generalized_cross_entropy(y_true, y_pred, q=0.5):
    """Per-sample GCE of integer labels `y_true` (`(N,)` or `(N, 1)`) and probabilities
    `y_pred` (`(N, classes)`). Keras requires `q`; here it defaults to the class's 0.5 so
    the function also works as `compile(loss="categorical_generalized_cross_entropy")`."""
    y_true, y_pred = float_pair(y_true, y_pred)
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    labels = y_true.to(torch.int64)
    classes = y_pred.shape[-1]
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise ValueError(
            f"Labels of categorical_generalized_cross_entropy must be in [0, {classes}) for "
            f"{classes} classes; got values from {int(labels.min())} to {int(labels.max())}."
        )
    p = torch.gather(y_pred, -1, labels.unsqueeze(-1)).squeeze(-1)
    return (1 - p ** q) / q


@keras_export("losses.CategoricalGeneralizedCrossEntropy")
class CategoricalGeneralizedCrossEntropy(BuiltinLoss):
    """Noise-robust classification loss on integer labels; `q` in (0, 1) (default 0.5)."""

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1); got q={q}.")
        super().__init__(categorical_generalized_cross_entropy, reduction=reduction, name=name,
                         dtype=dtype, q=q)
        self.q = q

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)
