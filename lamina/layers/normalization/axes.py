"""Axis bookkeeping shared by the normalization layers."""

import torch


def positive_axes(axes, ndim, layer):
    """`axes` (an int or a list) as sorted non-negative ints; ValueError if one is out of range."""
    axes = [axes] if isinstance(axes, int) else list(axes)
    for axis in axes:
        if not -ndim <= axis < ndim:
            raise ValueError(
                f'Layer "{layer.name}" ({type(layer).__name__}): axis {axis} is out of bounds for '
                f"an input of rank {ndim}. Received: axis={layer.axis}. Use an axis in "
                f"[{-ndim}, {ndim - 1}]."
            )
    return sorted({axis % ndim for axis in axes})


def check_output_axes(layer, input_shape):
    """Normalization keeps the shape; only the axes must exist."""
    positive_axes(layer.axis, len(input_shape), layer)
    return tuple(input_shape)


def known_dim(input_shape, axis, layer):
    dim = input_shape[axis]
    if dim is None:
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}) needs a known size on axis {axis} to '
            f"create its weights, but received an input of shape {tuple(input_shape)}."
        )
    return dim


def at_least_float32(x):
    """Statistics are computed in float32 or wider, as Keras does for half-precision inputs."""
    if x.dtype in (torch.float32, torch.float64):
        return x
    return x.float()


def is_trailing(axes, ndim):
    """True when the sorted positive `axes` are the last dims, so torch's fused kernels apply."""
    return axes == list(range(ndim - len(axes), ndim))
