"""One batch, as a user's data source produced it -> `(x, y, sample_weight)` of tensors on a device.

Two halves, so the costly one can run in a prefetch thread: `batch_to_host` (unpack, numpy ->
torch, floats in `floatx`, pin the memory when the batch is headed for a GPU) and
`batch_to_device` (non-blocking copies). Both accept what the other returns, so applying them
twice costs nothing.
"""

import numpy as np
import torch

from lamina import config
from lamina.registry.export import keras_export
from lamina.utils import tree
from lamina.utils.strings import is_string_data

BATCH_FORMAT_ERROR = (
    "A batch must be `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`, where each part is an "
    "array, a tensor, or a list/dict of them. Received a {kind} of length {length}: {preview}. "
    "If the model has several inputs, put them in one list: `yield [x1, x2], y`."
)


@keras_export("utils.unpack_x_y_sample_weight")
def unpack_x_y_sample_weight(data):
    """`x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)` (a list counts as a tuple) -> a 3-tuple."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if 1 <= len(data) <= 3:
        return data + (None,) * (3 - len(data))
    raise ValueError(BATCH_FORMAT_ERROR.format(
        kind=type(data).__name__, length=len(data), preview=_preview(data)))


@keras_export("utils.pack_x_y_sample_weight")
def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The inverse: the shortest of `x`, `(x, y)`, `(x, y, sample_weight)` holding the parts.

    What Keras hands an overridden `train_step`, so `x, y = data` works there.
    """
    if y is None and sample_weight is None:
        return x if not tree.is_nested(x) else (x,)
    if sample_weight is None:
        return x, y
    return x, y, sample_weight


def to_tensor(value, name, float_dtype=None):
    """numpy / pandas / Python numbers / torch -> a CPU-or-same-device tensor; floats in floatx.

    Text in `x` stays a numpy array (on the host) for the model's text preprocessing layers."""
    if value is None:
        return None
    float_dtype = float_dtype or config.to_torch_dtype(None)
    if isinstance(value, torch.Tensor):
        return value.to(float_dtype) if value.is_floating_point() else value
    if hasattr(value, "to_numpy") and type(value).__module__.startswith("pandas"):
        value = value.to_numpy()
    array = np.asarray(value)
    if name == "x" and is_string_data(array):
        return array
    if array.dtype.kind in "OUS":
        raise TypeError(
            f"`{name}` contains non-numeric data (dtype {array.dtype}). lamina models take "
            "numbers: convert strings/categories to numbers first (e.g. with a lookup or "
            "to_categorical)."
        )
    if not array.flags.writeable:  # e.g. pandas' read-only views; torch warns on those
        array = array.copy()
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    if array.dtype.kind in "fb":  # bool targets/masks are used as 0./1. in losses
        tensor = tensor.to(float_dtype)
    return tensor


def batch_to_host(data, pin_memory=False):
    """Unpack one batch and convert each part to tensors (pinned when `pin_memory`)."""
    float_dtype = config.to_torch_dtype(None)
    parts = unpack_x_y_sample_weight(data)
    converted = tuple(
        _map_arrays(lambda v, n=name: to_tensor(v, n, float_dtype), part)
        for part, name in zip(parts, ("x", "y", "sample_weight"))
    )
    if pin_memory:
        converted = tree.map_structure(_pinned, converted)
    return converted


def batch_to_device(batch, device):
    """Move a `(x, y, sample_weight)` of tensors to `device` without waiting for the copy."""
    return tree.map_structure(lambda t: _moved(t, device), batch)


def _map_arrays(fn, structure):
    """`tree.map_structure`, except that a flat list of numbers is one array (`[0, 1, 1]`)."""
    if isinstance(structure, (list, tuple)) and structure and all(
            isinstance(v, (int, float, np.number)) for v in structure):
        return fn(structure)
    if isinstance(structure, (list, tuple)):
        items = [_map_arrays(fn, item) for item in structure]
        return items if isinstance(structure, list) else tuple(items)
    if isinstance(structure, dict):
        return {key: _map_arrays(fn, value) for key, value in structure.items()}
    return fn(structure)


def _pinned(tensor):
    if not isinstance(tensor, torch.Tensor) or tensor.device.type != "cpu" or tensor.is_pinned():
        return tensor
    return tensor.pin_memory()


def _moved(tensor, device):
    if not isinstance(tensor, torch.Tensor) or tensor.device == device:
        return tensor
    return tensor.to(device, non_blocking=True)


def _preview(data):
    text = repr(tree.map_structure(
        lambda v: f"<{type(v).__name__} shape={tuple(v.shape)}>" if hasattr(v, "shape") else v,
        data,
    ))
    return text if len(text) <= 200 else text[:200] + "..."
