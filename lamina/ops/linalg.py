"""Linear algebra ops (Keras's `keras.ops.linalg`), thin wrappers over `torch.linalg`."""

import torch

from lamina.ops.numpy import _float, norm  # noqa: F401  (keras.ops.linalg.norm)
from lamina.ops.symbolic import keras_op


@keras_op
def inv(x):
    return torch.linalg.inv(_float(x))


@keras_op
def det(x):
    return torch.linalg.det(_float(x))


@keras_op
def solve(a, b):
    return torch.linalg.solve(_float(a), _float(b))


@keras_op
def cholesky(x, upper=False):
    return torch.linalg.cholesky(_float(x), upper=upper)


@keras_op
def qr(x, mode="reduced"):
    return tuple(torch.linalg.qr(_float(x), mode=mode))


@keras_op
def svd(x, full_matrices=True, compute_uv=True):
    if not compute_uv:
        return torch.linalg.svdvals(_float(x))
    return tuple(torch.linalg.svd(_float(x), full_matrices=full_matrices))


@keras_op
def eigh(x):
    return tuple(torch.linalg.eigh(_float(x)))


@keras_op
def pinv(x, rcond=1e-15):
    return torch.linalg.pinv(_float(x), rtol=rcond)


__all__ = ["cholesky", "det", "eigh", "inv", "norm", "pinv", "qr", "solve", "svd"]
