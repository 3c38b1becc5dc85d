"""`list_devices` / `get_device_count`: the devices a distribution can place work on.

Names are Keras's, `"<type>:<id>"` with type "gpu" or "cpu" ("cuda" is accepted as another name
for "gpu"). Inside a job the devices are global, one per process, numbered by rank: process `r`
trains on device `r` (its own GPU, or its CPU). Outside a job they are this machine's devices.
"""

import torch
import torch.distributed as dist

from lamina.registry.export import keras_export

_TYPES = {"gpu": "gpu", "cuda": "gpu", "cpu": "cpu", "tpu": "tpu"}


@keras_export("distribution.list_devices")
def list_devices(device_type=None):
    """The available devices of `device_type` ("gpu" or "cpu"; default: GPUs if there are any,
    else the CPU), as strings such as "gpu:0". Inside a multi-process job: one per process."""
    kind = _device_type(device_type)
    if dist.is_initialized():
        has_gpus = torch.cuda.is_available() and dist.get_backend() == "nccl"
        if (kind == "gpu" and not has_gpus) or kind == "tpu":
            return []
        return [f"{kind}:{rank}" for rank in range(dist.get_world_size())]
    if kind == "gpu":
        return [f"gpu:{i}" for i in range(torch.cuda.device_count())]
    if kind == "tpu":
        return []
    return ["cpu:0"]


@keras_export("distribution.get_device_count")
def get_device_count(device_type=None):
    """How many devices `list_devices(device_type)` returns."""
    return len(list_devices(device_type))


def _device_type(device_type):
    if device_type is None:
        if dist.is_initialized():
            return "gpu" if torch.cuda.is_available() and dist.get_backend() == "nccl" else "cpu"
        return "gpu" if torch.cuda.is_available() else "cpu"
    kind = _TYPES.get(str(device_type).lower())
    if kind is None:
        raise ValueError(
            f"Unknown device_type {device_type!r}: expected 'gpu' (or 'cuda'), 'cpu' or 'tpu'.")
    return kind
