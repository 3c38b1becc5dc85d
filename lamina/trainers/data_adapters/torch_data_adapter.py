"""`torch.utils.data.DataLoader` (used as it is) and `Dataset` (batched here by a DataLoader).

A map-style Dataset is batched with `batch_size` (default 32) and shuffled when `shuffle` is set:
`True` draws a new order of samples each pass, `"batch"` keeps batch-sized runs of consecutive
samples together and shuffles the order of the runs. An IterableDataset is batched in the order
it yields. A DataLoader already has its batching and order, so `batch_size` and `shuffle` are
ignored for it.
"""

import math

import torch
from torch.utils import data as torch_data

from lamina.trainers.data_adapters.data_adapter import DataAdapter


class TorchDataAdapter(DataAdapter):
    def __init__(self, data, batch_size=None, shuffle=False, steps=None, device=None,
                 class_weight=None):
        super().__init__(steps=steps, device=device, class_weight=class_weight)
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
        return iter(self.loader)


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
