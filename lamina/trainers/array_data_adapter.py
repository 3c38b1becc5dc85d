"""In-memory data (numpy, torch, pandas; lists and dicts of them) -> batches of tensors.

The arrays are converted and moved to the training device once per `fit`, then each batch is an
`index_select` on the device. When the data would take more than a quarter of free GPU memory,
it stays in pinned host memory and each batch is copied with `non_blocking=True` instead.
"""

import math

import numpy as np
import torch

from lamina import config
from lamina.utils import tree


class ArrayDataAdapter:
    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 steps=None, device=None):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.num_samples = _num_samples((x, y, sample_weight))
        self.batch_size = int(batch_size or 32)
        self.shuffle = shuffle
        self.steps = steps
        self.device = torch.device(device or "cpu")
        self._stream_from_host = False
        self._place_on_device()

    @property
    def num_batches(self):
        full = math.ceil(self.num_samples / self.batch_size)
        return full if self.steps is None else int(self.steps)

    def _place_on_device(self):
        if self.device.type == "cpu":
            return
        total_bytes = sum(t.element_size() * t.numel() for t in _tensors(self))
        free, _ = torch.cuda.mem_get_info(self.device) if self.device.type == "cuda" else (1 << 62, 0)
        if total_bytes < free // 4:
            move = lambda t: t.to(self.device)  # noqa: E731
        else:
            self._stream_from_host = True
            move = lambda t: t.pin_memory() if t.device.type == "cpu" else t  # noqa: E731
        self.x = tree.map_structure(_maybe(move), self.x)
        self.y = tree.map_structure(_maybe(move), self.y)
        self.sample_weight = tree.map_structure(_maybe(move), self.sample_weight)

    def batches(self):
        """Yield `(x, y, sample_weight)` batches for one epoch (or `steps` batches, cycling)."""
        n, size = self.num_samples, self.batch_size
        index_device = torch.device("cpu") if self._stream_from_host else self.device
        order = None
        if self.shuffle == "batch":
            order = _batch_shuffle(n, size, index_device)
        elif self.shuffle:
            order = torch.randperm(n, device=index_device)
        produced, start = 0, 0
        while self.steps is None or produced < self.steps:
            if start >= n:
                if self.steps is None:
                    return
                start = 0  # cycle through the data again when steps_per_epoch asks for more
                if self.shuffle:
                    order = torch.randperm(n, device=index_device)
            stop = min(start + size, n)
            if order is None and not self._stream_from_host:
                take = _slicer(start, stop)
            else:
                index = order[start:stop] if order is not None else torch.arange(start, stop)
                take = _indexer(index, self.device if self._stream_from_host else None)
            yield (tree.map_structure(take, self.x), tree.map_structure(take, self.y),
                   tree.map_structure(take, self.sample_weight))
            produced += 1
            start = stop


def _batch_shuffle(n, size, device):
    """Keras's shuffle="batch": shuffle whole batch-sized chunks, keep order inside each chunk."""
    chunks = torch.randperm(math.ceil(n / size), device=device)
    return torch.cat([torch.arange(c * size, min((c + 1) * size, n), device=device) for c in chunks])


def _slicer(start, stop):
    return lambda t: None if t is None else t[start:stop]


def _indexer(index, device):
    def take(t):
        if t is None:
            return None
        batch = t.index_select(0, index.to(t.device))
        return batch.to(device, non_blocking=True) if device is not None else batch

    return take


def _maybe(fn):
    return lambda t: None if t is None else fn(t)


def _tensors(adapter):
    return [t for t in tree.flatten((adapter.x, adapter.y, adapter.sample_weight))
            if isinstance(t, torch.Tensor)]


def _num_samples(structure):
    sizes = {int(t.shape[0]) for t in tree.flatten(structure) if isinstance(t, torch.Tensor)}
    if len(sizes) > 1:
        raise ValueError(
            f"Data arrays have different numbers of samples: {sorted(sizes)}. Make sure x, y and "
            "sample_weight all have the same first dimension (one row per sample)."
        )
    if not sizes:
        raise ValueError("No data was given: pass arrays for x (and y).")
    (n,) = sizes
    if n == 0:
        raise ValueError("The data is empty (0 samples). Pass at least one sample.")
    return n


def to_tensor_structure(data, name, float_dtype=None):
    """numpy / lists / pandas / torch -> torch tensors, with one clear error per bad input."""
    float_dtype = float_dtype or config.to_torch_dtype(None)

    def convert(value):
        if value is None:
            return None
        if isinstance(value, torch.Tensor):
            return value.to(float_dtype) if value.is_floating_point() else value
        if hasattr(value, "to_numpy") and type(value).__module__.startswith("pandas"):
            value = value.to_numpy()
        array = np.asarray(value)
        if not array.flags.writeable:  # e.g. pandas' read-only views; torch warns on those
            array = array.copy()
        if array.dtype.kind in "OUS":
            raise TypeError(
                f"`{name}` contains non-numeric data (dtype {array.dtype}). lamina models take "
                "numbers: convert strings/categories to numbers first (e.g. with a lookup or "
                "to_categorical)."
            )
        if array.dtype.kind == "f":
            return torch.from_numpy(np.ascontiguousarray(array)).to(float_dtype)
        if array.dtype.kind == "b":
            return torch.from_numpy(np.ascontiguousarray(array)).to(float_dtype)
        return torch.from_numpy(np.ascontiguousarray(array))

    if isinstance(data, dict):
        return {k: convert(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)) and data and all(_is_array_like(v) for v in data):
        return [convert(v) for v in data]
    return convert(data)


def _is_array_like(value):
    return isinstance(value, (np.ndarray, torch.Tensor)) or hasattr(value, "to_numpy")


def check_finite(structure, name):
    """NaN or inf in the inputs ruins training silently; say where it is instead."""
    for tensor in tree.flatten(structure):
        if isinstance(tensor, torch.Tensor) and tensor.is_floating_point():
            bad = ~torch.isfinite(tensor)
            if bool(bad.any()):
                row = int(bad.reshape(tensor.shape[0], -1).any(dim=1).nonzero()[0, 0])
                raise ValueError(
                    f"`{name}` contains NaN or infinite values (first at sample {row}). Clean or "
                    "impute them before training (e.g. np.nan_to_num, or drop those rows)."
                )


def split_for_validation(structures, validation_split):
    """Keras's validation_split: the *last* fraction of the samples, taken before shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(
            f"validation_split must be a float between 0 and 1; received {validation_split}."
        )
    n = _num_samples(structures)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} leaves no samples for "
            f"{'training' if split_at == 0 else 'validation'} ({n} samples in total)."
        )
    train = tree.map_structure(lambda t: None if t is None else t[:split_at], structures)
    val = tree.map_structure(lambda t: None if t is None else t[split_at:], structures)
    return train, val
