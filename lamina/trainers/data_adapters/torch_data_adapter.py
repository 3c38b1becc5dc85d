"""`torch.utils.data.DataLoader` (used as it is) and `Dataset` (batched here by a DataLoader).

A map-style Dataset is batched with `batch_size` (default 32) and shuffled when `shuffle` is set:
`True` draws a new order of samples each pass, `"batch"` keeps batch-sized runs of consecutive
samples together and shuffles the order of the runs. An IterableDataset is batched in the order
it yields. A DataLoader already has its batching and order, so `batch_size` and `shuffle` are
ignored for it.

In a data-parallel job (`distribute`):
- a map-style Dataset, or a DataLoader over one that batches with `batch_size` (no custom
  `batch_sampler`), is read through a new DataLoader with the same dataset and loading options
  (workers, collate_fn, pin_memory, ...) whose batch sampler yields this process's part of each
  global batch of `batch_size * processes` samples (the order shuffled, with a seed shared by
  all processes, when `shuffle` was asked for or the DataLoader shuffles);
- a DataLoader whose sampler is a `DistributedSampler` is already sharded: it is used as it is;
- anything else (an IterableDataset, a custom batch_sampler) is read whole by every process,
  which keeps every `processes`-th batch.
"""

import math

import torch
from torch.utils import data as torch_data
from torch.utils.data.distributed import DistributedSampler

from lamina.trainers.data_adapters import sharding
from lamina.trainers.data_adapters.data_adapter import DataAdapter


class TorchDataAdapter(DataAdapter):
    def __init__(self, data, batch_size=None, shuffle=False, steps=None, device=None,
                 class_weight=None):
        super().__init__(steps=steps, device=device, class_weight=class_weight)
        self.data, self.batch_size, self.shuffle = data, int(batch_size or 32), shuffle
        self._sharded_by = None
        if isinstance(data, torch_data.DataLoader):
            self.loader = data
        else:
            self.loader = _loader_for(data, int(batch_size or 32), shuffle)
        try:
            self._batches_per_pass = len(self.loader)
        except TypeError:  # an IterableDataset without __len__: learnt after the first pass
            pass

    def _one_pass(self):
        # Dropping this iterator (when a pass is abandoned) lets torch stop its worker processes.
        if self._sharded_by == "plan":
            infos = self.loader.batch_sampler.new_pass()  # (before iter(): it reads the plan)
            return sharding.paired(iter(self.loader), infos)
        if self._sharded_by == "sampler":
            return sharding.paired(iter(self.loader), _repeat_info())
        if self._sharded_by == "round robin":
            return sharding.round_robin(self.loader, self.shard)
        return iter(self.loader)

    def _distribute(self):
        loader = self.loader
        sampler = loader.batch_sampler.sampler if loader.batch_sampler is not None else (
            loader.sampler)
        if isinstance(loader.sampler, DistributedSampler) or isinstance(sampler,
                                                                         DistributedSampler):
            self._sharded_by = "sampler"
            return
        dataset = loader.dataset
        if isinstance(dataset, torch_data.IterableDataset) or (
                loader is self.data and loader.batch_size is None):
            self._sharded_by = "round robin"
            self._batches_per_pass = sharding.round_robin_steps(self._batches_per_pass,
                                                                self.shard)
            return
        if loader is self.data:  # a user's DataLoader: its own batch size and order
            batch_size = loader.batch_size
            shuffle = isinstance(loader.sampler, torch_data.RandomSampler)
            drop_last = loader.drop_last
        else:
            batch_size, shuffle, drop_last = self.batch_size, self.shuffle, False
        plan = _PlanBatchSampler(len(dataset), batch_size, self.shard, shuffle, drop_last)
        self.loader = _rebuilt(loader, plan)
        self._sharded_by = "plan"
        self._batches_per_pass = len(plan)


class _PlanBatchSampler(torch_data.Sampler):
    """This process's part of each global batch (see `sharding.plan`), as index lists."""

    def __init__(self, num_samples, batch_size, shard, shuffle, drop_last):
        self.num_samples, self.batch_size, self.shard = num_samples, batch_size, shard
        self.shuffle, self.drop_last = shuffle, drop_last
        self._steps = []

    def __len__(self):
        steps = self.num_samples / (self.batch_size * self.shard.num_processes)
        return math.floor(steps) if self.drop_last else math.ceil(steps)

    def new_pass(self):
        """Draw the pass's order (the same in every process); returns the steps' StepInfos."""
        global_size = self.batch_size * self.shard.num_processes
        if self.shuffle == "batch":
            runs = sharding.shuffled_order(math.ceil(self.num_samples / global_size))
            starts = [int(run) * global_size for run in runs]
            order = None
        else:
            starts = None
            order = sharding.shuffled_order(self.num_samples) if self.shuffle else None
        steps = list(sharding.plan(self.num_samples, self.batch_size, self.shard, starts))
        if self.drop_last:
            steps = [s for s in steps if s[2].total == global_size]
        take = (lambda a, b: list(range(a, b))) if order is None else (  # noqa: E731
            lambda a, b: order[a:b].tolist())
        self._steps = [take(start, stop) for start, stop, _ in steps]
        return [info for _, _, info in steps]

    def __iter__(self):
        return iter(self._steps)


def _rebuilt(loader, batch_sampler):
    """`loader`'s dataset and loading options, batched by `batch_sampler`."""
    options = {"num_workers": loader.num_workers, "collate_fn": loader.collate_fn,
               "pin_memory": loader.pin_memory, "timeout": loader.timeout,
               "worker_init_fn": loader.worker_init_fn,
               "multiprocessing_context": loader.multiprocessing_context,
               "generator": loader.generator}
    if loader.num_workers > 0:
        options.update(prefetch_factor=loader.prefetch_factor,
                       persistent_workers=loader.persistent_workers)
    return torch_data.DataLoader(loader.dataset, batch_sampler=batch_sampler, **options)


def _repeat_info():
    while True:
        yield sharding.StepInfo(False, None)


def _loader_for(dataset, batch_size, shuffle):
    if isinstance(dataset, torch_data.IterableDataset):
        return torch_data.DataLoader(dataset, batch_size=batch_size)
    if shuffle == "batch":
        sampler = _ShuffledRunsBatchSampler(len(dataset), batch_size)
        return torch_data.DataLoader(dataset, batch_sampler=sampler)
    return torch_data.DataLoader(dataset, batch_size=batch_size, shuffle=bool(shuffle))


class _ShuffledRunsBatchSampler(torch_data.Sampler):
    """Batches of consecutive indices, the batches in a new random order each pass."""

    def __init__(self, num_samples, batch_size):
        self.num_samples, self.batch_size = num_samples, batch_size

    def __len__(self):
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self):
        for chunk in torch.randperm(len(self)).tolist():
            start = chunk * self.batch_size
            yield list(range(start, min(start + self.batch_size, self.num_samples)))
