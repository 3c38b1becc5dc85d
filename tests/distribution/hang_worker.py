"""Run by test_data_parallel.py under torchrun with 2 processes: process 1 stops answering, so
process 0's collective must fail after LAMINA_DISTRIBUTED_TIMEOUT seconds instead of waiting.

    LAMINA_DISTRIBUTED_TIMEOUT=3 python -m torch.distributed.run --standalone \
        --nproc_per_node=2 hang_worker.py
"""

import time

import torch
import torch.distributed as dist

from lamina.distribution import process_group

process_group.initialize()
if dist.get_rank() == 1:
    time.sleep(300)
started = time.monotonic()
try:
    dist.all_reduce(torch.ones(1))
except RuntimeError as error:
    print(f"process 0 gave up after {time.monotonic() - started:.1f} s: {error}", flush=True)
    raise
