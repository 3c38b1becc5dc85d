"""`lamina.utils.PyDataset`: batches read by index, in order or shuffled, optionally in parallel.

With `workers > 1` (or `use_multiprocessing=True`), batches are prepared ahead of the training
loop by a pool of threads (which also convert them to tensors, pinned for a GPU) or of
processes. An endless PyDataset (`num_batches` is None) needs `steps_per_epoch` / `steps`.

In a data-parallel job each step's global batch is `processes` consecutive items of the epoch's
order (shuffled with a seed shared by all processes); process `r` reads the r-th of them, or a
padding copy of the first when the last step has fewer items than processes.
"""

import itertools

import torch

from lamina.trainers.data_adapters import batch_conversion, sharding
from lamina.trainers.data_adapters.data_adapter import DataAdapter
from lamina.trainers.data_adapters.prefetch import prefetch_in_order


class PyDatasetAdapter(DataAdapter):
    def __init__(self, py_dataset, shuffle=False, steps=None, device=None, class_weight=None,
                 workers=None, use_multiprocessing=None, max_queue_size=None):
        super().__init__(steps=steps, device=device, class_weight=class_weight)
        self.py_dataset = py_dataset
        # A dataset that orders its own batches (BatchedDataset) is not reshuffled by fit.
        self.shuffle = shuffle and not getattr(py_dataset, "orders_its_batches", False)
        self.workers = py_dataset.workers if workers is None else workers
        self.use_multiprocessing = (py_dataset.use_multiprocessing if use_multiprocessing is None
                                    else use_multiprocessing)
        self.max_queue_size = py_dataset.max_queue_size if max_queue_size is None else max_queue_size
        self._batches_per_pass = _num_batches(py_dataset)
        if self._batches_per_pass is None and self.steps is None:
            raise ValueError(
                f"{type(py_dataset).__name__} has no end (its `num_batches` is None), so an epoch "
                "would never finish. Pass `steps_per_epoch=` to fit (or `steps=` to evaluate / "
                "predict)."
            )

    @property
    def _parallel(self):
        return self.workers > 1 or (self.workers > 0 and self.use_multiprocessing)

    def _distribute(self):
        self._batches_per_pass = sharding.round_robin_steps(self._batches_per_pass, self.shard)

    def on_epoch_begin(self):
        self.py_dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.py_dataset.on_epoch_end()

    def _one_pass(self):
        count = self._batches_per_pass = _num_batches(self.py_dataset)  # may change each epoch
        if self.shard is not None:
            return self._sharded_pass(count)
        if count is None:
            indices = itertools.count()  # endless: the order is the dataset's own
        elif self.shuffle:  # True or "batch": the batches' order
            indices = torch.randperm(count).tolist()
        else:
            indices = range(count)
        return self._fetch(indices)

    def _sharded_pass(self, count):
        shard = self.shard
        if count is None:  # endless: process r reads items r, r + processes, ...
            indices = itertools.count(shard.rank, shard.num_processes)
            infos = itertools.repeat(sharding.StepInfo(False, None))
        else:
            self._batches_per_pass = sharding.round_robin_steps(count, shard)
            order = sharding.shuffled_order(count).tolist() if self.shuffle else range(count)
            mine = list(sharding.round_robin(order, shard))
            indices, infos = [i for i, _ in mine], [info for _, info in mine]
        return sharding.paired(self._fetch(indices), infos)

    def _fetch(self, indices):
        if not self._parallel:
            return (self.py_dataset[i] for i in indices)
        if self.use_multiprocessing:
            fetch = _get_batch
        else:
            pin = self._pin_memory
            fetch = lambda dataset, i: batch_conversion.batch_to_host(dataset[i], pin)  # noqa: E731
        return prefetch_in_order(fetch, self.py_dataset, indices, self.workers,
                                 self.use_multiprocessing,
                                 max(self.max_queue_size, self.workers))


def _get_batch(dataset, index):
    return dataset[index]


def _num_batches(py_dataset):
    try:
        count = py_dataset.num_batches
    except NotImplementedError as error:
        raise TypeError(str(error)) from None
    if count is None:
        return None
    if isinstance(count, bool) or not hasattr(count, "__index__") or int(count) < 0:
        raise ValueError(
            f"{type(py_dataset).__name__}.__len__ (num_batches) must return a non-negative "
            f"integer. Received: {count!r}."
        )
    return int(count)
