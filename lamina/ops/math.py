"""Math ops Keras keeps outside its NumPy set: erf, logsumexp, top_k, in_top_k."""

import torch

from lamina.ops.core import to_tensor
from lamina.ops.numpy import _dims, _float
from lamina.ops.symbolic import keras_op


@keras_op
def erf(x):
    return torch.erf(_float(x))


@keras_op
def erfinv(x):
    return torch.erfinv(_float(x))


@keras_op
def logsumexp(x, axis=None, keepdims=False):
    """`log(sum(exp(x)))` computed without overflow."""
    x = _float(x)
    dims = tuple(range(x.ndim)) if axis is None else _dims(axis)
    return torch.logsumexp(x, dim=dims, keepdim=keepdims)


@keras_op
def top_k(x, k, sorted=True):
    """The `k` largest values along the last axis and their int32 indices."""
    values, indices = torch.topk(to_tensor(x), k, dim=-1, sorted=sorted)
    return values, indices.to(torch.int32)


@keras_op
def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` highest predictions of its row."""
    predictions = to_tensor(predictions)
    targets = to_tensor(targets, device=predictions.device).long()
    target_scores = torch.gather(predictions, 1, targets.reshape(-1, 1))
    # Count strictly better classes, so ties with the k-th value count as "in the top k".
    return torch.sum(predictions > target_scores, dim=1) < k


__all__ = ["erf", "erfinv", "logsumexp", "top_k", "in_top_k"]
