"""The few collectives lamina's trainer and callbacks need, each coalesced into one call per dtype.

They run on the default process group, with tensors on the device its backend wants (the GPU for
NCCL, the CPU for gloo); values are copied back where they live.
"""

import torch
import torch.distributed as dist

from lamina.distribution.process_group import local_device


def collective_device():
    return local_device() if dist.get_backend() == "nccl" else torch.device("cpu")


def all_reduce_sum_(tensors):
    """Replace each tensor by its sum over all processes (in place)."""
    _coalesced(tensors, lambda flat: dist.all_reduce(flat, op=dist.ReduceOp.SUM))


def broadcast_(tensors, src=0):
    """Replace each tensor by process `src`'s value (in place)."""
    _coalesced(tensors, lambda flat: dist.broadcast(flat, src=src))


def _coalesced(tensors, collective):
    by_dtype = {}
    for tensor in tensors:
        by_dtype.setdefault(tensor.dtype, []).append(tensor)
    device = collective_device()
    for dtype in sorted(by_dtype, key=str):  # the same order on every process
        group = by_dtype[dtype]
        wire = dtype if dtype != torch.bool else torch.uint8
        flat = torch.cat([t.detach().reshape(-1).to(device, wire) for t in group])
        collective(flat)
        offset = 0
        with torch.no_grad():
            for tensor in group:
                count = tensor.numel()
                tensor.copy_(flat[offset:offset + count].view(tensor.shape))
                offset += count


def all_reduce_count(count):
    """The sum over processes of a local count, as a 0-d float tensor on the collective device
    (no host synchronisation on a GPU)."""
    total = torch.tensor(float(count), device=collective_device())
    dist.all_reduce(total)
    return total


def broadcast_object(value, src=0):
    """Process `src`'s `value` (any picklable object), on every process."""
    holder = [value]
    dist.broadcast_object_list(holder, src=src, device=collective_device())
    return holder[0]


def gather_objects(value, dst=0):
    """Every process's `value`, in rank order, on process `dst` (None elsewhere)."""
    values = [None] * dist.get_world_size() if dist.get_rank() == dst else None
    dist.gather_object(value, values, dst=dst)
    return values


def all_gather_objects(value):
    values = [None] * dist.get_world_size()
    dist.all_gather_object(values, value)
    return values


def shared_seed():
    """A random seed drawn on process 0 (from its global torch generator) and used by all."""
    seed = torch.randint(0, 2**62, (), dtype=torch.int64).to(collective_device())
    dist.broadcast(seed, src=0)
    return int(seed)


def all_gather_rows(tensor, counts):
    """Every process's `tensor` (whose first dimensions are `counts[rank]` long), in rank
    order, as a list; rows are padded to the longest for the transfer and trimmed after."""
    longest = max(counts)
    wire_dtype = tensor.dtype if tensor.dtype != torch.bool else torch.uint8
    device = collective_device()
    local = tensor.to(device, wire_dtype)
    if local.shape[0] < longest:
        pad = local.new_zeros((longest - local.shape[0],) + tuple(local.shape[1:]))
        local = torch.cat([local, pad])
    parts = [torch.empty_like(local) for _ in counts]
    dist.all_gather(parts, local.contiguous())
    return [part[:count].to(tensor.device, tensor.dtype) for part, count in zip(parts, counts)]
