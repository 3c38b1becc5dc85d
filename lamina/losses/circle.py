"""Circle loss (Sun et al., 2020, https://arxiv.org/abs/2002.10857) for metric learning.

`y_true` holds integer class labels `(batch,)` (or `(batch, 1)`), `y_pred` L2-normalized
embeddings `(batch, dim)` (e.g. `Dense` without activation, then `UnitNormalization`). Pairs of
embeddings with the same label are positives, the others negatives. With cosine distances `d`,
each pair is weighted by how far it is from its optimum (`margin` for positives, `1 + margin`
for negatives) and the loss of an anchor is

    softplus(logsumexp_pos(-gamma * w_p * (margin - d))
             + logsumexp_neg(gamma * w_n * (1 - margin - d)))

Anchors whose loss is 0 (e.g. no positive partner in the batch) are masked out of the mean, as
in Keras.
"""

import torch
import torch.nn.functional as F

from lamina.losses.wrapper import BuiltinLoss
from lamina.registry.export import keras_export


@keras_export("losses.circle")
def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80, margin=0.4):
    """Per-anchor Circle loss.

    Args:
        y_true: integer labels of the embeddings, `(batch,)` or `(batch, 1)`.
        y_pred: L2-normalized embeddings, `(batch, dim)`.
        ref_labels: labels of the reference embeddings; defaults to `y_true`.
        ref_embeddings: L2-normalized reference embeddings; defaults to `y_pred`.
        remove_diagonal: drop each embedding's pairing with itself from the positives.
        gamma: scale of the similarity scores.
        margin: relaxation margin.
    """
    y_pred = torch.as_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    y_true = torch.as_tensor(y_true, device=y_pred.device).to(torch.int32)
    ref_embeddings = y_pred if ref_embeddings is None else torch.as_tensor(
        ref_embeddings, device=y_pred.device).to(y_pred.dtype)
    ref_labels = y_true if ref_labels is None else torch.as_tensor(
        ref_labels, device=y_pred.device).to(torch.int32)

    distances = torch.clamp(1 - y_pred @ ref_embeddings.T, min=0.0)
    positive, negative = _pair_masks(y_true, ref_labels, remove_diagonal)
    positive_weights = torch.clamp((margin + distances) * positive, min=0.0)
    negative_weights = torch.clamp((1 + margin - distances) * negative, min=0.0)
    positive_logits = -gamma * positive_weights * (margin - distances)
    negative_logits = gamma * negative_weights * ((1 - margin) - distances)
    minus_inf = torch.tensor(float("-inf"), dtype=distances.dtype, device=distances.device)
    positive_term = torch.logsumexp(torch.where(positive, positive_logits, minus_inf), dim=1)
    negative_term = torch.logsumexp(torch.where(negative, negative_logits, minus_inf), dim=1)
    losses = _softplus(positive_term + negative_term)
    losses._keras_mask = losses > 0  # anchors without a loss do not count in the mean
    return losses


def _pair_masks(labels, ref_labels, remove_diagonal):
    """(positive, negative) boolean masks `(batch, refs)`: same label / different label."""
    positive = labels.reshape(-1, 1) == ref_labels.reshape(1, -1)
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~torch.eye(*positive.shape, dtype=torch.bool,
                                         device=positive.device)
    return positive, negative


def _softplus(x):
    # log(1 + exp(x)) exactly (torch's F.softplus switches to `x` above 20); -inf gives 0.
    return torch.logaddexp(x, torch.zeros((), dtype=x.dtype, device=x.device))


@keras_export("losses.Circle")
class Circle(BuiltinLoss):
    """Circle loss between integer labels and L2-normalized embeddings.

    Args:
        gamma: scale of the similarity scores (default 80).
        margin: relaxation margin (default 0.4): below it negatives are weighted up and
            positives down, above it the reverse.
        remove_diagonal: drop each embedding's pairing with itself from the positives.
        reduction, name, dtype: as for every loss.

    Example:
        model = lamina.Sequential([layers.Dense(64), layers.UnitNormalization()])
        model.compile(optimizer="adam", loss=lamina.losses.Circle())
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, reduction=reduction, name=name, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
        self.gamma = gamma
        self.margin = margin
        self.remove_diagonal = remove_diagonal
