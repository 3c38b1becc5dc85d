"""Small conversions shared by the quantizer functions."""

import numpy as np
import torch

from lamina import config


def as_tensor(x, dtype=None):
    """A torch tensor (numpy dtypes kept, Python numbers as floatx) on its own device."""
    if isinstance(x, torch.Tensor):
        return x if dtype is None else x.to(config.to_torch_dtype(dtype))
    if isinstance(x, (int, float)) and dtype is None:
        dtype = config.floatx()
    array = np.asarray(x)
    if dtype is None:
        return torch.from_numpy(np.ascontiguousarray(array))
    return torch.as_tensor(array, dtype=config.to_torch_dtype(dtype))


def dtype_name(x):
    return config.dtype_name(x.dtype)


def axes(axis, ndim):
    """`axis` (an int or a sequence of ints) as a tuple of non-negative axes."""
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axis)
