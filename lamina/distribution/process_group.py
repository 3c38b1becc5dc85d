"""The job's process group: created once per process, torn down at exit.

A job is started by a launcher that gives every process its coordinates in the environment:
`torchrun` sets `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR` and `MASTER_PORT`; Keras's
`KERAS_DISTRIBUTION_JOB_ADDRESSES` / `_NUM_PROCESSES` / `_PROCESS_ID` work too. `initialize()`
reads them (or its arguments), picks the backend (NCCL with one GPU per local rank when CUDA is
available, gloo on CPU) and registers the teardown at exit.

Every collective waits at most `timeout` (default 600 s, or `LAMINA_DISTRIBUTED_TIMEOUT`
seconds): a rank that dies makes the others fail with an error instead of waiting forever.
Under torchrun the elastic agent is quicker still: when one worker exits with an error it stops
the others and the job exits with that worker's error.
"""

import atexit
import datetime
import gc
import os
import time
import warnings

import torch
import torch.distributed as dist

from lamina.registry.export import keras_export

DEFAULT_TIMEOUT_S = 600.0
_owned = {"group": False}


@keras_export("distribution.initialize")
def initialize(job_addresses=None, num_processes=None, process_id=None, timeout=None):
    """Join the job's process group (once; later calls return at once).

    Under `torchrun` nothing needs to be passed: every value comes from the environment, and
    `lamina.distribution.distribution()` calls this for you. Elsewhere, pass what the launcher
    did not set:

    Args:
        job_addresses: "host:port" of process 0 (the coordinator), or Keras's comma-separated
            list of every process's address (only the first is used). Defaults to
            `KERAS_DISTRIBUTION_JOB_ADDRESSES`, else `MASTER_ADDR`/`MASTER_PORT`.
        num_processes: the number of processes in the job (`KERAS_DISTRIBUTION_NUM_PROCESSES`,
            else `WORLD_SIZE`).
        process_id: this process's index, 0 to `num_processes - 1`
            (`KERAS_DISTRIBUTION_PROCESS_ID`, else `RANK`).
        timeout: seconds a collective may wait for the other processes before failing
            (lamina's addition; default `LAMINA_DISTRIBUTED_TIMEOUT`, else 600).

    Returns:
        True when this process is part of a job of two or more processes.
    """
    if dist.is_initialized():
        return dist.get_world_size() > 1
    world_size = _resolve_int(num_processes, "KERAS_DISTRIBUTION_NUM_PROCESSES", "WORLD_SIZE")
    rank = _resolve_int(process_id, "KERAS_DISTRIBUTION_PROCESS_ID", "RANK")
    if world_size is None or world_size <= 1:
        return False
    if rank is None or not 0 <= rank < world_size:
        raise ValueError(
            f"initialize() needs this process's id, an integer in [0, {world_size - 1}]; "
            f"received process_id={rank!r}. Pass `process_id=` or set RANK (torchrun sets it).")
    init_method = _init_method(job_addresses)
    backend, device = _backend_and_device(rank)
    options = {"backend": backend, "init_method": init_method, "world_size": world_size,
               "rank": rank, "timeout": datetime.timedelta(seconds=_timeout(timeout))}
    if device.type == "cuda":
        options["device_id"] = device  # binds this rank to its GPU (eager NCCL setup)
    dist.init_process_group(**options)
    _owned["group"] = True
    atexit.register(shutdown)
    return True


def shutdown():
    """Leave the process group lamina created (registered with `atexit`; safe to call twice)."""
    if _owned["group"] and dist.is_initialized():
        _owned["group"] = False
        # A script that exits right after its last collective (the end of `fit`) used to
        # abort in about one run of three ("terminate called without an active exception"):
        # gloo's worker threads still had to take the GIL to release what that collective
        # held, and the interpreter was torn down first. Freeing unreachable objects (dead
        # models' DDP wrappers) and letting go of the GIL for a moment lets them finish; even a
        # zero-length sleep was enough in 36 runs of tests/distribution/exit_worker.py.
        gc.collect()
        time.sleep(0.01)
        dist.destroy_process_group()


def launched_num_processes():
    """The job size the launcher announced in the environment (1 when there is none)."""
    value = _resolve_int(None, "KERAS_DISTRIBUTION_NUM_PROCESSES", "WORLD_SIZE")
    return value or 1


def is_distributed():
    """True inside a job of two or more processes (joining the job's process group if a
    launcher started this process and it has not joined yet)."""
    _join_if_launched()
    return dist.is_initialized() and dist.get_world_size() > 1


def process_id():
    """This process's rank, 0 to `num_processes() - 1` (0 when not distributed)."""
    _join_if_launched()
    return dist.get_rank() if dist.is_initialized() else 0


def num_processes():
    """The number of processes of the job (1 when not distributed)."""
    _join_if_launched()
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main_process():
    """True on the process that prints and writes files: rank 0, or the only process."""
    return process_id() == 0


def _join_if_launched():
    if not dist.is_initialized() and launched_num_processes() > 1:
        initialize()


def local_device():
    """The device this process trains on: its own GPU (by local rank), else the CPU."""
    if not torch.cuda.is_available():
        return torch.device("cpu")
    local_rank = _resolve_int(None, "LOCAL_RANK")
    if local_rank is not None:
        return torch.device("cuda", local_rank)
    if dist.is_initialized():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cuda")


def _backend_and_device(rank):
    if not torch.cuda.is_available():
        return "gloo", torch.device("cpu")
    local_rank = _resolve_int(None, "LOCAL_RANK")
    if local_rank is None:
        local_rank = rank % torch.cuda.device_count()
    if local_rank >= torch.cuda.device_count():
        raise RuntimeError(
            f"Process {rank} has local rank {local_rank} but this machine has "
            f"{torch.cuda.device_count()} GPU(s): start at most one process per GPU "
            "(torchrun --nproc_per_node=<number of GPUs>).")
    torch.cuda.set_device(local_rank)
    return "nccl", torch.device("cuda", local_rank)


def _init_method(job_addresses):
    addresses = job_addresses or os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if not addresses:
        if not os.environ.get("MASTER_ADDR") or not os.environ.get("MASTER_PORT"):
            raise ValueError(
                "initialize() needs the address of process 0: pass job_addresses='host:port', "
                "or set MASTER_ADDR and MASTER_PORT (torchrun sets them).")
        return "env://"
    coordinator = addresses.split(",")[0].strip()
    host, _, port = coordinator.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(
            f"job_addresses must start with 'host:port' of process 0, e.g. '10.0.0.1:29500'; "
            f"received {addresses!r}.")
    return f"tcp://{host}:{port}"


def _timeout(timeout):
    if timeout is None:
        timeout = os.environ.get("LAMINA_DISTRIBUTED_TIMEOUT", DEFAULT_TIMEOUT_S)
    try:
        seconds = float(timeout)
    except (TypeError, ValueError):
        seconds = -1.0
    if seconds <= 0:
        raise ValueError(
            f"The distributed timeout must be a positive number of seconds; received {timeout!r} "
            "(argument `timeout` or LAMINA_DISTRIBUTED_TIMEOUT).")
    return seconds


def _resolve_int(value, *env_names):
    if value is not None:
        return int(value)
    for name in env_names:
        text = os.environ.get(name)
        if text not in (None, ""):
            try:
                return int(text)
            except ValueError:
                warnings.warn(f"Ignoring {name}={text!r}: not an integer.", stacklevel=3)
    return None
