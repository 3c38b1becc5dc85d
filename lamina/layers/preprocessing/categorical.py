"""Integer indices -> one-hot / multi-hot / count vectors, shared by the categorical layers.

Indices outside `[0, depth)` contribute nothing (as with Keras on JAX): checking them would
need a host round trip on every batch.
"""

import torch

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def encode_categorical(indices, output_mode, depth, dtype=torch.float32, count_weights=None):
    """Encode integer `indices` (any device) as `output_mode` vectors of length `depth`.

    `one_hot` adds a last axis of size `depth` (replacing a trailing axis of size 1);
    `multi_hot` and `count` reduce the last axis (a rank-1 input is a single sample).
    """
    if output_mode == "int":
        return indices.to(dtype)
    if indices.ndim == 0:
        indices = indices.reshape(1)
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices.squeeze(-1)
        classes = torch.arange(depth, device=indices.device, dtype=indices.dtype)
        return (indices.unsqueeze(-1) == classes).to(dtype)
    single_sample = indices.ndim == 1
    if single_sample:
        indices = indices.unsqueeze(0)
        count_weights = None if count_weights is None else count_weights.unsqueeze(0)
    valid = (indices >= 0) & (indices < depth)
    safe = torch.where(valid, indices, torch.zeros_like(indices)).long()
    values = valid.to(dtype) if count_weights is None else count_weights.to(dtype) * valid
    counts = torch.zeros(indices.shape[:-1] + (depth,), dtype=dtype, device=indices.device)
    counts.scatter_add_(-1, safe, values)
    if output_mode == "multi_hot":
        counts = (counts > 0).to(dtype)
    return counts.squeeze(0) if single_sample else counts


def encoded_shape(input_shape, output_mode, depth):
    """The output shape `encode_categorical` gives for `input_shape` (None = unknown)."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if not input_shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)
