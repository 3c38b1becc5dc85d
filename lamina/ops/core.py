"""Conversion, dtype and control-flow ops (Keras's `keras.ops` core set) on torch tensors.

Conversion rules follow Keras: Python ints become int32, Python floats and float64 NumPy arrays
become `floatx()`, other NumPy dtypes are kept. A tensor passed in is returned as it is (same
device, no copy); arrays and lists land on torch's default device.
"""

import builtins

import numpy as np
import torch

from lamina import config
from lamina.ops.symbolic import keras_op

# NumPy dtypes torch handles poorly are widened, as Keras's torch backend does.
_WIDENED_NUMPY_DTYPES = {np.dtype("uint16"): np.int64, np.dtype("uint32"): np.int64,
                         np.dtype("uint64"): np.int64}
_INT_DTYPES = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)


def is_tensor(x):
    return isinstance(x, torch.Tensor)


def is_python_scalar(x):
    return isinstance(x, (bool, int, float))


def standardize_dtype(dtype):
    """Any dtype spelling (string, NumPy, torch, None = floatx) as Keras's string name."""
    return config.dtype_name(dtype)


def is_float_dtype(dtype):
    return config.to_torch_dtype(dtype).is_floating_point


def is_int_dtype(dtype):
    return config.to_torch_dtype(dtype) in _INT_DTYPES


def result_type(*dtypes):
    """The dtype (as a string) that combining values of `dtypes` produces."""
    if not dtypes:
        return config.floatx()
    result = config.to_torch_dtype(dtypes[0])
    for other in dtypes[1:]:
        result = torch.promote_types(result, config.to_torch_dtype(other))
    return config.dtype_name(result)


def _default_dtype_for(array):
    if array.dtype == np.float64:
        return config.to_torch_dtype(None)
    return None


def _numpy_to_tensor(array, dtype, device):
    array = array.astype(_WIDENED_NUMPY_DTYPES.get(array.dtype, array.dtype), copy=False)
    if not array.flags.writeable or builtins.any(stride < 0 for stride in array.strides):
        array = array.copy()  # torch cannot share read-only or reversed NumPy memory
    if dtype is None:
        dtype = _default_dtype_for(array)
    return torch.from_numpy(array).to(device=device or torch.get_default_device(), dtype=dtype)


def _scalar_dtype(value):
    if isinstance(value, bool):
        return torch.bool
    if isinstance(value, int):
        return torch.int32
    return config.to_torch_dtype(None)


def to_tensor(x, dtype=None, device=None):
    """`convert_to_tensor` with a target device for non-tensor inputs (used by binary ops)."""
    if dtype is not None:
        dtype = config.to_torch_dtype(dtype)
    if isinstance(x, torch.Tensor):
        return x if dtype is None or x.dtype == dtype else x.to(dtype)
    if is_python_scalar(x):
        return torch.tensor(x, dtype=dtype or _scalar_dtype(x), device=device)
    if isinstance(x, (list, tuple)) and builtins.any(isinstance(item, torch.Tensor) for item in x):
        return torch.stack([to_tensor(item, dtype, device) for item in x])
    array = np.asarray(x)
    if isinstance(x, (list, tuple)) and array.dtype == np.int64 and dtype is None:
        dtype = torch.int32  # Python ints, as for a scalar
    return _numpy_to_tensor(array, dtype, device)


@keras_op
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A torch tensor from a tensor, NumPy array, list or scalar (see the module docstring)."""
    if sparse or ragged:
        raise ValueError(
            "lamina tensors are dense: `sparse=True` / `ragged=True` are not supported."
        )
    return to_tensor(x, dtype)


def convert_to_numpy(x):
    """A NumPy array; tensors are detached and copied to the host (bfloat16 becomes float32)."""
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


def binary_operands(x1, x2):
    """The operands of an elementwise binary op.

    Python scalars stay scalars when the other operand is an array, so torch applies them with that
    operand's dtype (Keras's "weak" scalar typing: int32 tensor + 1 stays int32). Arrays and lists
    are converted onto the device of the other operand when it is a tensor.
    """
    scalar1, scalar2 = is_python_scalar(x1), is_python_scalar(x2)
    if scalar1 and scalar2:
        return to_tensor(x1), x2
    device = x1.device if isinstance(x1, torch.Tensor) else getattr(x2, "device", None)
    if not scalar1:
        x1 = to_tensor(x1, device=device)
    if not scalar2:
        x2 = to_tensor(x2, device=device)
    return x1, x2


def tensor_operands(x1, x2):
    """Like `binary_operands`, but scalars become 0-d tensors for ops that need two tensors."""
    x1, x2 = binary_operands(x1, x2)
    if not isinstance(x1, torch.Tensor):
        x1 = torch.tensor(x1, dtype=torch.result_type(x2, x1), device=x2.device)
    if not isinstance(x2, torch.Tensor):
        x2 = torch.tensor(x2, dtype=torch.result_type(x1, x2), device=x1.device)
    return x1, x2


@keras_op
def cast(x, dtype):
    x = to_tensor(x)
    return x.to(config.to_torch_dtype(dtype))


@keras_op
def shape(x):
    """The static shape as a tuple of ints."""
    return tuple(to_tensor(x).shape)


@keras_op
def dtype(x):
    """The dtype of `x` as a Keras string such as "float32"."""
    return config.dtype_name(to_tensor(x).dtype)


@keras_op
def stop_gradient(variable):
    return to_tensor(variable).detach()


def cond(pred, true_fn, false_fn):
    """Call `true_fn()` if `pred` is true, else `false_fn()` (a plain Python branch)."""
    return true_fn() if bool(pred) else false_fn()


def switch(index, branches, *operands):
    """Call `branches[index](*operands)`, with `index` clamped into range as Keras does."""
    index = builtins.min(builtins.max(int(index), 0), len(branches) - 1)
    return branches[index](*operands)


def fori_loop(lower, upper, body_fun, init_val):
    value = init_val
    for i in range(int(lower), int(upper)):
        value = body_fun(i, value)
    return value


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`; returns the final loop_vars."""
    is_sequence = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if is_sequence else (loop_vars,)
    iteration = 0
    while bool(cond(*state)) and (maximum_iterations is None or iteration < maximum_iterations):
        result = body(*state)
        state = tuple(result) if isinstance(result, (list, tuple)) else (result,)
        iteration += 1
    return type(loop_vars)(state) if is_sequence else state[0]


def map(f, xs):
    """Apply `f` to each slice of `xs` along its first axis and stack the results."""
    return torch.stack([f(item) for item in to_tensor(xs)])


def vectorized_map(function, elements):
    """`function` applied to each slice of `elements` along the first axis (via torch.vmap)."""
    return torch.vmap(function)(elements)


def _start_and_shape(inputs, start_indices, shape):
    starts = [int(s) for s in start_indices]
    if len(starts) != inputs.ndim or len(shape) != inputs.ndim:
        raise ValueError(
            "slice expects one start index and one size per axis of the input "
            f"(rank {inputs.ndim}). "
            f"Received start_indices={list(start_indices)}, shape={list(shape)}."
        )
    return tuple(builtins.slice(s, s + int(n)) for s, n in zip(starts, shape))


@keras_op
def slice(inputs, start_indices, shape):
    """The block of `inputs` of size `shape` starting at `start_indices`."""
    inputs = to_tensor(inputs)
    return inputs[_start_and_shape(inputs, start_indices, shape)]


@keras_op
def slice_update(inputs, start_indices, updates):
    """A copy of `inputs` with the block starting at `start_indices` replaced by `updates`."""
    inputs = to_tensor(inputs)
    updates = to_tensor(updates, dtype=inputs.dtype, device=inputs.device)
    result = inputs.clone()
    result[_start_and_shape(inputs, start_indices, updates.shape)] = updates
    return result


def _index_tuple(indices):
    indices = to_tensor(indices).long()
    return tuple(indices[..., axis] for axis in range(indices.shape[-1]))


@keras_op
def scatter(indices, values, shape):
    """A zero tensor of `shape` with `values` added at `indices` (duplicates accumulate)."""
    values = to_tensor(values)
    result = torch.zeros(tuple(shape), dtype=values.dtype, device=values.device)
    return result.index_put(_index_tuple(indices), values, accumulate=True)


@keras_op
def scatter_update(inputs, indices, updates, reduction=None):
    """A copy of `inputs` with `updates` written at `indices` (or added, with reduction="add")."""
    if reduction not in (None, "add"):
        raise ValueError(
            f"scatter_update supports reduction=None or 'add'. Received: {reduction!r}."
        )
    inputs = to_tensor(inputs)
    updates = to_tensor(updates, dtype=inputs.dtype, device=inputs.device)
    return inputs.index_put(_index_tuple(indices), updates, accumulate=reduction == "add")


@keras_op
def unstack(x, num=None, axis=0):
    x = to_tensor(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(
            f"unstack: num={num} does not match the size {x.shape[axis]} of axis {axis}."
        )
    return list(torch.unbind(x, dim=axis))


# The public names of this module, for `from lamina.ops.core import *`.
__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__
           and not name.startswith("_")
           and name not in ("to_tensor", "binary_operands", "tensor_operands", "is_python_scalar")]
