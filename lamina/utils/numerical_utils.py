"""NumPy helpers for labels and features: `to_categorical` and `normalize`."""

import numpy as np
import torch

from lamina import ops
from lamina.registry.export import keras_export
from lamina.utils.arguments import check_kwargs, rename_legacy_kwargs


@keras_export("utils.to_categorical")
def to_categorical(x, num_classes=None, **kwargs):
    """One-hot encode integer class labels.

    Args:
        x: class indices (0 to num_classes - 1), any shape; a trailing axis of size 1, as in
            `(N, 1)` label columns, is dropped first.
        num_classes: number of classes; defaults to `max(x) + 1`.

    Returns:
        A float32 NumPy array of shape `x.shape + (num_classes,)` (a torch tensor for a tensor
        input). Keras 3 returns float64 for NumPy input; float32 is what models consume.

    Example:
        >>> to_categorical([0, 2, 1], 3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    rename_legacy_kwargs(kwargs, {"nb_classes": "num_classes"}, "to_categorical()")
    check_kwargs(kwargs, {"num_classes"}, "to_categorical()")
    num_classes = kwargs.pop("num_classes", num_classes)
    if isinstance(x, torch.Tensor):
        if x.ndim > 1 and x.shape[-1] == 1:
            x = x.squeeze(-1)
        if num_classes is None:
            num_classes = int(x.max()) + 1
        return ops.one_hot(x, num_classes)
    labels = np.asarray(x)
    if labels.size and not np.all(np.mod(labels, 1) == 0):
        raise ValueError(
            "to_categorical expects integer class indices. Received non-integer values such as "
            f"{labels[np.mod(labels, 1) != 0].flat[0]!r}; round or map them to classes first."
        )
    labels = labels.astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"to_categorical: class indices must be in [0, {num_classes - 1}] for "
            f"num_classes={num_classes}. Received values from {labels.min()} to {labels.max()}."
        )
    categorical = np.zeros(labels.shape + (num_classes,), dtype=np.float32)
    np.put_along_axis(categorical, labels[..., None], 1.0, axis=-1)
    return categorical


@keras_export("utils.normalize")
def normalize(x, axis=-1, order=2):
    """Scale `x` to unit `order`-norm along `axis` (vectors of norm 0 are left at 0).

    NumPy in, NumPy out (a tensor input gives `lamina.ops.normalize`).
    """
    if isinstance(x, torch.Tensor):
        return ops.normalize(x, axis=axis, order=order)
    x = np.asarray(x)
    norms = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norms == 0, 1, norms)
