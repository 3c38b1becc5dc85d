"""Batch statistics over every process's part of a global batch (`BatchNormalization(
synchronized=True)`): what one process computes from the whole global batch.

Each process sums its samples (count, sum, sum of squares per channel); one all-reduce adds them
up. The gradient flows back through the sum: each process receives the gradient of the global
loss with respect to the shared statistics. The trainer weights each process's gradient by its
share of the step's samples before adding them (see seam.py), so the backward all-reduce weights
by that share too and divides it back out: the combined gradient is the single-process one, also
for an uneven last batch. A padding step (share 0) adds nothing.
"""

import torch
import torch.distributed as dist

from lamina.distribution.seam import active_seam


def in_job():
    """True in a job of two or more processes (a synchronized layer then combines)."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def global_moments(x, reduction_axes, weights=None):
    """Mean and (biased) variance of `x` over `reduction_axes` and over every process's `x`,
    one value per remaining (channel) entry. `weights` (0/1, shaped like `x`) masks samples."""
    share = getattr(active_seam(), "share", None)
    weights = torch.ones_like(x) if weights is None else weights.to(x.dtype)
    if share is not None and float(share) <= 0:
        weights = torch.zeros_like(weights)  # a padding step: its duplicated sample counts not
    count = weights.sum(dim=reduction_axes)
    total = (x * weights).sum(dim=reduction_axes)
    squares = (x * x * weights).sum(dim=reduction_axes)
    count, total, squares = _AllReduceSum.apply(torch.stack([count, total, squares]),
                                                share).unbind(0)
    count = count.clamp_min(1.0)
    mean = total / count
    variance = (squares / count - mean * mean).clamp_min(0.0)
    return mean, variance


class _AllReduceSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor, share):
        ctx.share = None if share is None else float(share)
        tensor = tensor.clone()
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    @staticmethod
    def backward(ctx, grad):
        share = ctx.share
        grad = grad.contiguous().clone()
        if share is not None:
            grad.mul_(share)
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)  # every process runs it, padding too
        if share is not None:
            grad = grad / share if share > 0 else torch.zeros_like(grad)
        return grad, None
