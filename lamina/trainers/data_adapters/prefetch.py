"""Fetch `dataset[i]` for a sequence of indices in worker threads or processes, in order.

Up to `max_queue_size` batches are requested ahead of the consumer. A worker's exception is
raised in the consumer with the worker's traceback (for processes, chained as its cause).
Leaving the loop in any way (end, error, `close()`) cancels what is queued and joins the
workers, so nothing is left running.
"""

import collections
import concurrent.futures
import itertools
import multiprocessing
import os
import random

import numpy as np
import torch


def prefetch_in_order(fetch, dataset, indices, workers, use_multiprocessing, max_queue_size):
    """Yield `fetch(dataset, i)` for each `i` of `indices`, computed ahead by a worker pool."""
    executor = _executor(fetch, dataset, workers, use_multiprocessing)
    submit = _submitter(executor, fetch, dataset, use_multiprocessing)
    indices = iter(indices)
    pending = collections.deque(submit(i) for i in itertools.islice(indices, max_queue_size))
    try:
        while pending:
            batch = pending.popleft().result()
            for index in itertools.islice(indices, 1):
                pending.append(submit(index))  # keep the queue full while the batch is used
            yield batch
    finally:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)


def _executor(fetch, dataset, workers, use_multiprocessing):
    if not use_multiprocessing:
        return concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="lamina_data")
    # Each process gets its own copy of the dataset once, instead of one pickle per batch.
    return concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context(), initializer=_start_worker,
        initargs=(dataset, fetch, int(torch.randint(0, 2**31 - 1, ()))),
    )


def _submitter(executor, fetch, dataset, use_multiprocessing):
    if use_multiprocessing:
        return lambda index: executor.submit(_fetch_in_worker, index)
    return lambda index: executor.submit(fetch, dataset, index)


_worker_state = {}


def _start_worker(dataset, fetch, seed):
    _worker_state.update(dataset=dataset, fetch=fetch)
    # Forked workers would otherwise all draw the same "random" augmentations.
    seed = (seed + os.getpid()) % 2**31
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _fetch_in_worker(index):
    return _worker_state["fetch"](_worker_state["dataset"], index)
