"""Linear algebra ops (Keras's `keras.ops.linalg`), thin wrappers over `torch.linalg`."""

import warnings

import torch

from lamina.ops.numpy import _float, norm  # noqa: F401  (keras.ops.linalg.norm)
from lamina.symbolic.dispatch import keras_op


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
def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverse; singular values below `rcond * largest` count as zero."""
    return torch.linalg.pinv(_float(x), rtol=rcond)


@keras_op
def cholesky_inverse(x, upper=False):
    """The inverse of `A` from its Cholesky factor `x` (lower, or upper if `upper=True`)."""
    return torch.cholesky_inverse(_float(x), upper=upper)


@keras_op
def eig(x):
    """Eigenvalues and eigenvectors of a general square matrix (complex results)."""
    return tuple(torch.linalg.eig(_float(x)))


@keras_op
def lu_factor(x):
    """LU factorization with partial pivoting: `(lu, pivots)`, pivots 0-based as in Keras."""
    lu, pivots = torch.linalg.lu_factor(_float(x))
    return lu, (pivots - 1).to(torch.int32)


@keras_op
def solve_triangular(a, b, lower=False):
    """Solve `a @ x = b` for triangular `a`; `b` may be a vector (rank one less than `a`)."""
    a, b = _float(a), _float(b)
    if b.ndim == a.ndim - 1:
        return torch.linalg.solve_triangular(a, b[..., None], upper=not lower)[..., 0]
    return torch.linalg.solve_triangular(a, b, upper=not lower)


@keras_op
def lstsq(a, b, rcond=None):
    """The least-squares solution `x` of `a @ x = b` (SVD-based, as NumPy)."""
    a, b = _float(a), _float(b)
    vector = b.ndim == 1
    if vector:
        b = b[:, None]
    if a.device.type == "cpu":
        x = torch.linalg.lstsq(a, b, rcond=rcond, driver="gelsd").solution
    else:  # CUDA has no SVD driver: the pseudo-inverse gives the same minimum-norm solution
        x = torch.linalg.pinv(a, rtol=rcond) @ b
    return x[:, 0] if vector else x


@keras_op
def matrix_rank(x, tol=None):
    """The numerical rank (int32): singular values above `tol` (absolute) are counted."""
    return torch.linalg.matrix_rank(_float(x), atol=tol).to(torch.int32)


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode Jacobian-vector product: `(fun(*primals), J @ tangents)` (and the aux)."""
    from lamina.ops.core import to_tensor

    primals = tuple(to_tensor(p) for p in primals)
    tangents = tuple(to_tensor(t, dtype=p.dtype, device=p.device)
                     for t, p in zip(tangents, primals))
    with warnings.catch_warnings():
        # torch's first forward-mode call loads decompositions through deprecated jit.script.
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*",
                                category=DeprecationWarning)
        return torch.func.jvp(fun, primals, tangents, has_aux=has_aux)


__all__ = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq",
           "lu_factor", "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd"]
