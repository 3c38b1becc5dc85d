"""Weights kept in Keras's shape but stored in the memory order torch's kernels use.

A Keras convolution kernel is `(*kernel_size, in, out)`; torch convolves with `(out, in, *k)`,
a permuted view of it. With the kernel stored in Keras's row-major order, that view is a layout
no kernel uses: the convolution copies the weight to its own layout on the way in, and the
gradient comes back in that layout, so autograd copies it again to match the parameter's
strides before the optimizer reads it. Stored in torch's order, the view is a plain
(contiguous, or channels_last) tensor and both copies disappear; the gradient and the
optimizer's slots (made with `zeros_like`) share the parameter's strides.

Nothing else changes: the variable's shape, values, `get_weights()`, saved files and the
optimizer's slot order are Keras's, because only the strides differ. Copies (`assign`, loading
a file or a state_dict, `model.to(device)`, deep copies) keep the strides.
"""

import torch


def store_in_memory_order(variable, order):
    """Re-store `variable` so that `variable.permute(order)` is contiguous (same values)."""
    inverse = [order.index(axis) for axis in range(len(order))]
    with torch.no_grad():
        variable.data = variable.data.permute(order).contiguous().permute(inverse)
    return variable


def conv_kernel_order(rank, channels_last):
    """Memory order of a Keras conv kernel `(*k, a, b)` whose torch weight is `(b, a, *k)`.

    channels_last data: torch's channels_last weight format `(b, *k, a)`, what oneDNN and cuDNN
    use (and return the gradient in) for channels_last inputs; channels_first data: torch's
    contiguous `(b, a, *k)`."""
    spatial = tuple(range(rank))
    if channels_last:
        return (rank + 1, *spatial, rank)
    return (rank + 1, rank, *spatial)


def depthwise_kernel_order(rank):
    """Memory order of a Keras depthwise kernel `(*k, in, multiplier)` whose torch weight is
    `(in * multiplier, 1, *k)`: `(in, multiplier, *k)`, so that weight is a contiguous view."""
    return (rank, rank + 1, *range(rank))


def transposed_order():
    """Memory order of a 2-D kernel `(in, out)` read as its transpose `(out, in)` (the fused
    recurrent kernels' `weight_ih` / `weight_hh`)."""
    return (1, 0)
