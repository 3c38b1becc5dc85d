"""How a data-parallel job splits the data: each process reads its own part of every step.

Every process runs the same number of steps (a collective waits for all of them). Step `s` has a
*global batch*; process `r` reads part `r` of it:

- in-memory arrays and map-style torch Datasets: the global batch is `batch_size * processes`
  consecutive samples of the epoch's order, cut into contiguous parts as even as possible
  (sizes differ by at most one in a smaller last batch). The order is shuffled each epoch with a
  seed process 0 draws (from its own torch generator) and broadcasts;
- PyDataset: each item is a batch; the global batch is `processes` consecutive items of the
  epoch's (shared) order, process `r` reading the r-th;
- generators, iterators, IterableDatasets and DataLoaders lamina cannot rebuild: every process
  reads the whole stream and keeps every `processes`-th batch (round robin), so the stream must
  be the same in every process.

When a last global batch has fewer parts than processes, the processes left without data read a
*padding* batch (a copy of the global batch's first sample or batch) marked `padding`: the
trainer runs it so collectives pair up, with no weight in the gradient and no effect on metrics.
"""

import itertools
import math
from typing import NamedTuple, Optional

import torch


class Shard(NamedTuple):
    rank: int
    num_processes: int


class StepInfo(NamedTuple):
    """What the trainer needs to know about this process's batch of a step."""
    padding: bool  # a stand-in batch: no samples of this process in this step
    total: Optional[int]  # the step's samples over all processes, when known in advance


def part(count, shard):
    """(offset, length) of process `shard.rank`'s contiguous part of `count` samples."""
    base, extra = divmod(count, shard.num_processes)
    rank = shard.rank
    return rank * base + min(rank, extra), base + (1 if rank < extra else 0)


def plan(num_samples, batch_size, shard, starts=None):
    """This process's (start, stop, StepInfo) in sample positions for each step of a pass.

    `starts` are the global batches' first positions (default: every `batch_size *
    processes`); the positions index the epoch's order when the data is shuffled."""
    global_size = batch_size * shard.num_processes
    if starts is None:
        starts = range(0, num_samples, global_size)
    for start in starts:
        total = min(start + global_size, num_samples) - start
        offset, length = part(total, shard)
        if length == 0:
            yield start, start + 1, StepInfo(True, total)
        else:
            yield start + offset, start + offset + length, StepInfo(False, total)


def shuffled_order(num_samples):
    """A permutation of the samples that is the same in every process (process 0's seed)."""
    from lamina.distribution import collectives

    generator = torch.Generator().manual_seed(collectives.shared_seed())
    return torch.randperm(num_samples, generator=generator)


def round_robin(iterable, shard):
    """(item, StepInfo) for this process: item `s * processes + rank` of `iterable` for each
    step `s`, or a padding copy of the step's first item when the stream ends mid-step."""
    iterator = iter(iterable)
    while True:
        group = list(itertools.islice(iterator, shard.num_processes))
        if not group:
            return
        if shard.rank < len(group):
            yield group[shard.rank], StepInfo(False, None)
        else:
            yield group[0], StepInfo(True, None)


def round_robin_steps(num_items, shard):
    """Steps a round robin over `num_items` items takes (None when unknown)."""
    return None if num_items is None else math.ceil(num_items / shard.num_processes)


def paired(batches, infos):
    """(batch, info) pairs; closing the pairs closes `batches` (stopping its workers)."""
    try:
        yield from zip(batches, infos)
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()
