"""Variables that ModelParallel sharded: their Keras surface, and their whole values.

FSDP2 (`fully_shard`) replaces each parameter of a module it shards by a new parameter holding a
DTensor (this process's part, plus where the other parts live). lamina gives that parameter back
what the Variable it replaced had: the class of the new object becomes `ShardedVariable`, a
DTensor subclass with the Keras attributes (`name`, `path`, `trainable`, `numpy()`, `assign()`),
so `layer.weights`, the optimizer and the user see one object: the one FSDP updates.

Reading a whole value is a collective (an all-gather over the processes that hold its parts).
Saving needs process 0 alone to read every value while it writes: `gathered(model)`, entered by
every process, gathers all of the model's and its optimizer's sharded values first; inside it,
`full_value` reads them from there.
"""

import contextlib

import numpy as np
import torch
from torch.distributed.tensor import DTensor, distribute_tensor

from lamina import variables

_gathered = {"depth": 0, "values": {}}  # id(tensor) -> (tensor, numpy array)


class ShardedVariable(variables.KerasVariableSurface, DTensor):
    """A lamina `Variable` sharded between processes (under `ModelParallel`): a DTensor whose
    `numpy()` and `assign()` take and give the whole value."""

    __slots__ = ()

    def numpy(self, force=False):
        """The whole value (gathered from every process: call it on all of them)."""
        return full_value(self)

    def assign(self, value):
        assign_full(self, value)
        return self

    def assign_add(self, value):
        assign_full(self, full_value(self) + np.asarray(value))
        return self

    def assign_sub(self, value):
        assign_full(self, full_value(self) - np.asarray(value))
        return self

    def __repr__(self):
        return (f"<ShardedVariable path={self._keras_path}, shape={tuple(self.shape)}, "
                f"placements={tuple(self.placements)}, "
                f"dtype={str(self.dtype).replace('torch.', '')}>")


variables._SHARDED_CLASS[0] = ShardedVariable  # isinstance(sharded, lamina.Variable) is True


def make_sharded(parameter, variable):
    """Turn FSDP's DTensor `parameter` (which replaced `variable`) into a ShardedVariable with
    the variable's name, path, trainable flag, regularizer and constraint."""
    parameter.__class__ = ShardedVariable
    parameter._keras_name = variable._keras_name
    parameter._keras_path = variable._keras_path
    parameter._keras_trainable = variable._keras_trainable
    regularizer = getattr(variable, "regularizer", None)
    constraint = getattr(variable, "constraint", None)
    parameter.regularizer = None if regularizer is None else _OnWholeValue(regularizer)
    parameter.constraint = None if constraint is None else _OnWholeValue(constraint, back=True)
    return parameter


class _OnWholeValue:
    """A regularizer (or constraint) applied to a sharded variable's whole value, as in a single
    process. The gather is differentiable: a penalty's gradient reaches each process's part. A
    constraint's result is cut back to this process's part (`back=True`)."""

    def __init__(self, function, back=False):
        self.function = function
        self.back = back

    def __call__(self, x):
        if not isinstance(x, DTensor):
            return self.function(x)
        result = self.function(x.full_tensor())
        if self.back:
            result = distribute_tensor(result, x.device_mesh, x.placements, src_data_rank=None)
        return result

    def __getattr__(self, name):  # get_config() and the like come from the wrapped object
        return getattr(self.__dict__["function"], name)


def full_value(tensor):
    """The whole value of a DTensor as a numpy array (an all-gather unless `gathered`)."""
    entry = _gathered["values"].get(id(tensor))
    if entry is not None and entry[0] is tensor:
        return entry[1].copy()
    with torch.no_grad():
        return tensor.full_tensor().detach().cpu().numpy().copy()


def assign_full(tensor, value):
    """Keep this process's part of the whole `value` in the DTensor `tensor` (no communication:
    every process is given the same whole value)."""
    value = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
    if tuple(value.shape) != tuple(tensor.shape):
        raise ValueError(
            f"Cannot assign a value of shape {tuple(value.shape)} to the sharded variable "
            f"{getattr(tensor, 'path', '')!r} of shape {tuple(tensor.shape)}.")
    with torch.no_grad():
        local = tensor.to_local()
        value = value.to(device=local.device, dtype=local.dtype)
        part = distribute_tensor(value, tensor.device_mesh, tensor.placements, src_data_rank=None)
        local.copy_(part.to_local())


@contextlib.contextmanager
def gathered(model):
    """Gather the whole value of every sharded weight of `model` and of its optimizer's state,
    once; inside the block reading them needs no communication (so process 0 alone may write a
    file). Every process must enter it, at the same point. Outside ModelParallel it does
    nothing. Yields True when the model is sharded."""
    tensors = sharded_tensors(model)
    if not tensors or _gathered["depth"]:
        _gathered["depth"] += 1
        try:
            yield bool(tensors)
        finally:
            _gathered["depth"] -= 1
        return
    values = {id(t): (t, full_value(t)) for t in tensors}  # the same order on every process
    _gathered["values"], _gathered["depth"] = values, 1
    try:
        yield True
    finally:
        _gathered["values"], _gathered["depth"] = {}, 0


def sharded_tensors(model):
    """The model's sharded weights, then its optimizer's sharded state, in a fixed order."""
    if not is_sharded(model):
        return []
    tensors = [w for w in model.weights if isinstance(w, DTensor)]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        tensors += [v for v in optimizer.variables if isinstance(v, DTensor)]
    return tensors


def is_sharded(model):
    return model.__dict__.get("_model_parallel_sharded", False)
