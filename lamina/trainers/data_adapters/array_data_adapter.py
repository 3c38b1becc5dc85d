"""In-memory data (numpy, torch, pandas; lists and dicts of them) -> batches of tensors.

The arrays are converted and moved to the training device once per adapter, then each batch is
an `index_select` on the device. When the data would take more than a quarter of free GPU memory,
it stays in pinned host memory and each batch is copied with `non_blocking=True` instead.

In a data-parallel job (`distribute`) each step reads this process's contiguous part of a global
batch of `batch_size * processes` samples (see `sharding.py`); `state()` / `restore()` keep the
global order, the same in every process.
"""

import math

import numpy as np
import torch

from lamina.trainers.data_adapters import sharding
from lamina.trainers.data_adapters.batch_conversion import to_tensor
from lamina.trainers.data_adapters.class_weights import ClassWeights
from lamina.trainers.data_adapters.data_adapter import DataAdapter
from lamina.utils import tree


class ArrayDataAdapter(DataAdapter):
    is_array_data = True

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 steps=None, device=None, class_weight=None, check_values=True):
        super().__init__(steps=steps, device=device)
        x = to_tensor_structure(x, "x")
        y = to_tensor_structure(y, "y")
        sample_weight = to_tensor_structure(sample_weight, "sample_weight")
        if check_values:  # (predict: NaN in, NaN out, as in Keras; one pass over x saved)
            check_finite(x, "x")
            check_finite(y, "y")
            check_finite(sample_weight, "sample_weight")
        if class_weight is not None:
            sample_weight = ClassWeights(class_weight).sample_weights(y, sample_weight)
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.num_samples = count_samples((x, y, sample_weight))
        if not batch_size:  # Keras: enough per batch for `steps` batches to cover the data
            batch_size = math.ceil(self.num_samples / self.steps) if self.steps else 32
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self._batches_per_pass = math.ceil(self.num_samples / self.batch_size)
        self._stream_from_host = False
        self._place_on_device()

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

    def _convert(self, batch):
        return batch  # already tensors on the device, class weights folded in

    def _distribute(self):
        global_size = self.batch_size * self.shard.num_processes
        self._batches_per_pass = math.ceil(self.num_samples / global_size)

    def _one_pass(self, resume=None):
        if self.shard is not None:
            yield from self._sharded_pass(resume)
            return
        n, size = self.num_samples, self.batch_size
        index_device = torch.device("cpu") if self._stream_from_host else self.device
        if resume is not None:
            starts, order, skip = resume["starts"], resume["order"], resume["position"]
            order = None if order is None else order.to(index_device)
        else:
            starts, order, skip = list(range(0, n, size)), None, 0
            self._pass_offset = 0
            if self.shuffle == "batch":
                starts = [int(s) * size for s in torch.randperm(len(starts))]
            elif self.shuffle:
                order = torch.randperm(n, device=index_device)
        self._pass_plan = (starts, order)
        for start in starts[skip:]:
            stop = min(start + size, n)
            if order is None and not self._stream_from_host:
                take = _slicer(start, stop)
            else:
                index = order[start:stop] if order is not None else torch.arange(start, stop)
                take = _indexer(index, self.device if self._stream_from_host else None)
            yield (tree.map_structure(take, self.x), tree.map_structure(take, self.y),
                   tree.map_structure(take, self.sample_weight))


    def _sharded_pass(self, resume=None):
        """This process's part of each global batch, with its StepInfo."""
        n, size = self.num_samples, self.batch_size * self.shard.num_processes
        index_device = torch.device("cpu") if self._stream_from_host else self.device
        if resume is not None:
            starts, order, skip = resume["starts"], resume["order"], resume["position"]
            order = None if order is None else order.to(index_device)
        else:
            starts, order, skip = list(range(0, n, size)), None, 0
            self._pass_offset = 0
            if self.shuffle == "batch":
                starts = [int(s) * size for s in sharding.shuffled_order(len(starts))]
            elif self.shuffle:
                order = sharding.shuffled_order(n).to(index_device)
        self._pass_plan = (starts, order)
        for start, stop, info in sharding.plan(n, self.batch_size, self.shard, starts[skip:]):
            if order is None and not self._stream_from_host:
                take = _slicer(start, stop)
            else:
                index = order[start:stop] if order is not None else torch.arange(start, stop)
                take = _indexer(index, self.device if self._stream_from_host else None)
            yield (tree.map_structure(take, self.x), tree.map_structure(take, self.y),
                   tree.map_structure(take, self.sample_weight)), info

    def state(self):
        """Where the pass in progress stands: enough to continue it exactly (BackupAndRestore)."""
        if self._pass is None or self.steps is not None:
            return None
        starts, order = self._pass_plan
        return {"starts": list(starts), "order": None if order is None else order.cpu(),
                "position": getattr(self, "_pass_offset", 0) + self._yielded_from_pass}

    def restore(self, state):
        """Continue a pass saved by `state()`: same sample order, after the batches already done."""
        self._drop_pass()
        self._peeked = None
        self._pass = iter(self._one_pass(resume=state))
        self._pass_offset = state["position"]
        self._passes_started += 1
        self._pulled_from_pass = self._yielded_from_pass = 0


# shuffle="batch" draws the order of batch-sized runs of consecutive samples and keeps each run
# in order. (Keras 3 keeps the runs in order and shuffles inside each, which leaves a
# mean-reduced loss unchanged; the order of runs is what its documentation describes.)


def _slicer(start, stop):
    return lambda t: None if t is None else t[start:stop]


def _indexer(index, device):
    def take(t):
        if t is None:
            return None
        if isinstance(t, np.ndarray):  # text stays on the host
            return t[index.cpu().numpy()]
        batch = t.index_select(0, index.to(t.device))
        return batch.to(device, non_blocking=True) if device is not None else batch

    return take


def _maybe(fn):
    return lambda t: fn(t) if isinstance(t, torch.Tensor) else t


def _tensors(adapter):
    return [t for t in tree.flatten((adapter.x, adapter.y, adapter.sample_weight))
            if isinstance(t, torch.Tensor)]


def count_samples(structure):
    sizes = {int(t.shape[0]) for t in tree.flatten(structure)
             if isinstance(t, (torch.Tensor, np.ndarray))}
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
    if isinstance(data, dict):
        return {k: to_tensor(v, name, float_dtype) for k, v in data.items()}
    if isinstance(data, (list, tuple)) and data and all(_is_array_like(v) for v in data):
        return [to_tensor(v, name, float_dtype) for v in data]
    return to_tensor(data, name, float_dtype)


def _is_array_like(value):
    return isinstance(value, torch.Tensor) or hasattr(value, "to_numpy") or (
        hasattr(value, "__array__") and hasattr(value, "shape"))


def check_finite(structure, name):
    """NaN or inf in the inputs ruins training silently; say where it is instead."""
    for tensor in tree.flatten(structure):
        if isinstance(tensor, torch.Tensor) and tensor.is_floating_point():
            # One pass and no mask first: a NaN or inf anywhere makes the sum NaN or inf, so a
            # finite sum clears the data (finite values summing past the dtype's range only
            # send it to the exact, element-wise check below).
            if bool(torch.isfinite(tensor.sum())):
                continue
            bad = ~torch.isfinite(tensor)
            if bool(bad.any()):
                row = int(bad.reshape(tensor.shape[0], -1).any(dim=1).nonzero()[0, 0])
                raise ValueError(
                    f"`{name}` contains NaN or infinite values (first at sample {row}). Clean or "
                    "impute them before training (e.g. np.nan_to_num, or drop those rows)."
                )
