"""Conversion, dtype and control-flow ops (Keras's `keras.ops` core set) on torch tensors.

Conversion rules follow Keras: Python ints become int32, Python floats and float64 NumPy arrays
become `floatx()`, other NumPy dtypes are kept. A tensor passed in is returned as it is (same
device, no copy); arrays and lists land on torch's default device.
"""

import builtins

import numpy as np
import torch

from lamina import config, tree
from lamina.devices import default_device
from lamina.registry.export import keras_export
from lamina.symbolic.dispatch import keras_op

# NumPy dtypes torch handles poorly are widened, as Keras's torch backend does.
_WIDENED_NUMPY_DTYPES = {np.dtype("uint16"): np.int64, np.dtype("uint32"): np.int64,
                         np.dtype("uint64"): np.int64}
_INT_DTYPES = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)


def is_tensor(x):
    return isinstance(x, torch.Tensor)


def is_python_scalar(x):
    return isinstance(x, (bool, int, float))


@keras_export("utils.standardize_dtype", package=False)
def standardize_dtype(dtype):
    """Any dtype spelling (string, NumPy, torch, None = floatx) as Keras's string name.

    Python's `int` / `"int"` name int32 and `str` / `"string"` the string type, as in Keras on
    every backend (lamina's own tensors of Python ints are int64, torch's default).
    """
    if dtype is int or (isinstance(dtype, str) and dtype == "int"):
        return "int32"
    if dtype is str or (isinstance(dtype, str) and dtype == "string"):
        return "string"
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
    return torch.from_numpy(array).to(device=device or default_device(), dtype=dtype)


_INT32_MIN, _INT32_MAX = -(2 ** 31), 2 ** 31 - 1


def _scalar_dtype(value):
    if isinstance(value, bool):
        return torch.bool
    if isinstance(value, int):
        # int32, as in Keras; a value int32 cannot hold keeps int64 rather than overflowing
        return torch.int32 if _INT32_MIN <= value <= _INT32_MAX else torch.int64
    return config.to_torch_dtype(None)


def to_tensor(x, dtype=None, device=None):
    """`convert_to_tensor` with a target device for non-tensor inputs (used by binary ops)."""
    if dtype is not None:
        dtype = config.to_torch_dtype(dtype)
    if isinstance(x, torch.Tensor):
        return x if dtype is None or x.dtype == dtype else x.to(dtype)
    if is_python_scalar(x):
        return torch.tensor(x, dtype=dtype or _scalar_dtype(x), device=device or default_device())
    if isinstance(x, (list, tuple)) and builtins.any(isinstance(item, torch.Tensor) for item in x):
        return torch.stack([to_tensor(item, dtype, device) for item in x])
    array = np.asarray(x)
    if isinstance(x, (list, tuple)) and array.dtype == np.int64 and dtype is None and (
            array.size == 0 or _INT32_MIN <= array.min() and array.max() <= _INT32_MAX):
        dtype = torch.int32  # Python ints, as for a scalar (unless int32 would overflow)
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
    """A NumPy array; tensors are detached and copied to the host (bfloat16 becomes float32).

    Always a copy, as in Keras: a CPU tensor's `.numpy()` shares its memory, so a weight read
    before training would otherwise change with it (`before = convert_to_numpy(w)`)."""
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            return x.float().cpu().numpy()  # (float() made the copy)
        if x.device.type == "cpu":
            return x.numpy(force=True).copy()
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
    """Run `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`; returns the final loop_vars.

    The loop variables are converted to tensors first, so the result is made of tensors.
    """
    is_sequence = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if is_sequence else (loop_vars,)
    state = tree.map_structure(to_tensor, state)
    iteration = 0
    while (maximum_iterations is None or iteration < maximum_iterations) and bool(cond(*state)):
        result = body(*state)
        state = tuple(result) if isinstance(result, (list, tuple)) else (result,)
        iteration += 1
    return state if is_sequence else state[0]


@keras_op
def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop `carry, y = f(carry, x)` over the leading axis of `xs` (a nested structure allowed).

    Returns the final carry and the `y`s stacked along a new leading axis. With `xs=None`, `f`
    gets `None` for `length` steps.
    """
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f!r}")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"`unroll` must be a positive integer or a bool. Received: {unroll!r}")
    if xs is None and length is None:
        raise ValueError("scan needs `xs` to loop over, or a `length`.")
    xs_flat = [] if xs is None else [to_tensor(x) for x in tree.flatten(xs)]
    n = int(length) if length is not None else int(xs_flat[0].shape[0])
    carry = tree.map_structure(to_tensor, init)
    ys = []
    steps = range(n - 1, -1, -1) if reverse else range(n)
    for i in steps:
        x = tree.pack_sequence_as(xs, [leaf[i] for leaf in xs_flat]) if xs_flat else None
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys:
        return carry, None
    if ys[0] is None:
        stacked = tree.map_structure(lambda c: torch.zeros((n,) + tuple(c.shape), dtype=c.dtype,
                                                           device=c.device), carry)
    else:
        stacked = tree.map_structure(lambda *leaves: torch.stack([to_tensor(v) for v in leaves]),
                                     *ys)
    return carry, stacked


@keras_op
def map(f, xs):
    """Apply `f` to each slice of `xs` along its first axis and stack the results.

    `xs` and the results of `f` may be nested structures (dicts, lists, tuples) of tensors.
    """
    _, ys = scan(lambda carry, x: (carry, f(x)), (), xs)
    return ys


@keras_op
def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of the associative binary `f` along `axis` of `elems` (maybe nested).

    `f(a, b)` combines two structures shaped like `elems` elementwise; it is called
    `ceil(log2(n))` times on whole slices (a Hillis-Steele scan), never per element.
    """
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f!r}")
    leaves = [to_tensor(leaf) for leaf in tree.flatten(elems)]
    n = int(leaves[0].shape[axis])
    if builtins.any(int(leaf.shape[axis]) != n for leaf in leaves):
        raise ValueError(
            "All inputs of associative_scan must have the same size along the scanned axis. "
            f"Received shapes {[tuple(leaf.shape) for leaf in leaves]}."
        )
    if reverse:
        leaves = [torch.flip(leaf, (axis,)) for leaf in leaves]
    offset = 1
    while offset < n:
        earlier = [leaf.narrow(axis, 0, n - offset) for leaf in leaves]
        later = [leaf.narrow(axis, offset, n - offset) for leaf in leaves]
        combined = tree.flatten(f(tree.pack_sequence_as(elems, earlier),
                                  tree.pack_sequence_as(elems, later)))
        leaves = [torch.cat([leaf.narrow(axis, 0, offset), to_tensor(new).to(leaf.dtype)],
                            dim=axis)
                  for leaf, new in zip(leaves, combined)]
        offset *= 2
    if reverse:
        leaves = [torch.flip(leaf, (axis,)) for leaf in leaves]
    return tree.pack_sequence_as(elems, leaves)


class _CustomGradientFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, fn, treedef, *args):
        outputs, grad_fn = fn(*args)
        ctx.grad_fn = grad_fn
        ctx.save_for_backward(*[a for a in args if isinstance(a, torch.Tensor)])
        ctx.is_tensor = [isinstance(a, torch.Tensor) for a in args]
        flat = tree.flatten(outputs)
        treedef.append(outputs)
        return tuple(flat) if len(flat) != 1 else flat[0]

    @staticmethod
    def backward(ctx, *upstream):
        upstream = upstream[0] if len(upstream) == 1 else upstream
        saved = iter(ctx.saved_tensors)
        args = [next(saved) if is_t else None for is_t in ctx.is_tensor]
        grads = _call_grad_fn(ctx.grad_fn, args, upstream)
        if not isinstance(grads, (list, tuple)):
            grads = (grads,)
        return (None, None) + tuple(grads) + (None,) * (len(args) - len(grads))


def _call_grad_fn(grad_fn, args, upstream):
    """Call `grad_fn` as it was written: `grad(upstream)` or `grad(*args, upstream=...)`."""
    import inspect

    try:
        params = inspect.signature(grad_fn).parameters.values()
    except (TypeError, ValueError):
        return grad_fn(upstream)
    has_var_args = builtins.any(p.kind is p.VAR_POSITIONAL for p in params)
    takes_upstream_kw = builtins.any(
        p.name == "upstream" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        for p in params)
    if has_var_args and takes_upstream_kw:
        return grad_fn(*args, upstream=upstream)
    return grad_fn(upstream)


def custom_gradient(f):
    """Decorator: `f(*args)` returns `(output, grad_fn)`; the wrapped function returns `output`
    and backpropagates through `grad_fn` instead of through `f`'s own operations.

    `grad_fn` receives the upstream gradient, either as `grad_fn(upstream)` or (when it is
    written `grad_fn(*args, upstream)`, Keras's torch form) with the inputs too, and returns
    one gradient per tensor argument.
    """
    import functools

    @functools.wraps(f)
    def wrapper(*args):
        args = tuple(to_tensor(a) if isinstance(a, (np.ndarray, float)) else a for a in args)
        treedef = []
        flat = _CustomGradientFunction.apply(f, treedef, *args)
        flat = list(flat) if isinstance(flat, tuple) else [flat]
        return tree.pack_sequence_as(treedef[0], flat)

    return wrapper


@keras_op
def saturate_cast(x, dtype):
    """Cast to `dtype`, first clipping values to the range that `dtype` can represent."""
    x = to_tensor(x)
    target = config.to_torch_dtype(dtype)
    if target == torch.bool:
        low, high = 0, 1
    elif target.is_floating_point:
        low, high = torch.finfo(target).min, torch.finfo(target).max
    else:
        low, high = torch.iinfo(target).min, torch.iinfo(target).max
    if x.dtype.is_floating_point:
        info = torch.finfo(x.dtype)
        low, high = builtins.max(low, info.min), builtins.min(high, info.max)
        # Limits the input dtype rounds past the target's range are nudged back inside it.
        low_t = torch.tensor(low, dtype=x.dtype)
        high_t = torch.tensor(high, dtype=x.dtype)
        if float(low_t) < low:
            low_t = torch.nextafter(low_t, torch.zeros_like(low_t))
        if float(high_t) > high:
            high_t = torch.nextafter(high_t, torch.zeros_like(high_t))
        x = torch.clamp(x, low_t.to(x.device), high_t.to(x.device))
    elif x.dtype != torch.bool:
        info = torch.iinfo(x.dtype)
        x = torch.clamp(x, builtins.max(low, info.min), builtins.min(high, info.max))
    return x.to(target)


@keras_op
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


def _parse_rearrange_side(side):
    """One side of an einops pattern as a list of groups (lists of axis names).

    A bare name is a group of one; `(a b)` groups axes; `1` and `()` are unit axes (empty
    groups); `...` stands for the axes the pattern does not name (the name "...").
    """
    import re

    groups, current = [], None
    for token in re.findall(r"\.\.\.|\w+|[()]|\S", side):
        if token == "(":
            if current is not None:
                raise ValueError(f"rearrange: nested parentheses in {side!r}.")
            current = []
        elif token == ")":
            if current is None:
                raise ValueError(f"rearrange: unbalanced parentheses in {side!r}.")
            groups.append(current)
            current = None
        elif token.isdigit():
            if token != "1":
                raise ValueError(
                    f"rearrange: only the anonymous axis 1 is supported. Received {token!r}."
                )
            if current is None:
                groups.append([])
        elif token == "..." or token.isidentifier():
            if current is None:
                groups.append([token])
            else:  # "...m": an ellipsis inside parentheses, whose axes are merged
                current.append("...m" if token == "..." else token)
        else:
            raise ValueError(f"rearrange: unexpected {token!r} in the pattern side {side!r}.")
    if current is not None:
        raise ValueError(f"rearrange: unbalanced parentheses in {side!r}.")
    return groups


def _expand_ellipsis(groups, names):
    """A bare `...` becomes one group per axis it stands for; `(... x)` merges them."""
    result = []
    for group in groups:
        if group == ["..."]:
            result.extend([name] for name in names)
        else:
            result.append([axis for name in group
                           for axis in (names if name in ("...", "...m") else [name])])
    return result


@keras_op
def rearrange(tensor, pattern, **axes_lengths):
    """Reorder, merge and split axes with an einops pattern such as `"b h w c -> b (h w) c"`.

    Axes in parentheses are merged (output) or split (input, sizes from `axes_lengths`).
    """
    tensor = to_tensor(tensor)
    if pattern.count("->") != 1:
        raise ValueError(f"rearrange: the pattern needs exactly one '->'. Received {pattern!r}.")
    left, right = pattern.split("->")
    in_groups, out_groups = _parse_rearrange_side(left), _parse_rearrange_side(right)
    has_ellipsis = builtins.any("..." in g or "...m" in g for g in in_groups)
    if has_ellipsis:
        if builtins.sum(g.count("...") for g in in_groups) != 1 or builtins.any(
                "...m" in g for g in in_groups):
            raise ValueError("rearrange: '...' must appear once, alone, on the input side.")
        ellipsis_names = [f"...{i}" for i in range(tensor.ndim - len(in_groups) + 1)]
        in_groups = _expand_ellipsis(in_groups, ellipsis_names)
        out_groups = _expand_ellipsis(out_groups, ellipsis_names)
    if len(in_groups) != tensor.ndim:
        raise ValueError(
            f"rearrange: the input side of {pattern!r} names {len(in_groups)} axes but the "
            f"tensor has rank {tensor.ndim} (shape {tuple(tensor.shape)})."
        )
    sizes = {name: int(n) for name, n in axes_lengths.items()}
    for group, dim in zip(in_groups, tensor.shape):
        unknown = [name for name in group if name not in sizes]
        known = 1
        for name in group:
            if name in sizes:
                known *= sizes[name]
        if len(unknown) > 1:
            raise ValueError(
                f"rearrange: cannot infer the sizes of {unknown} in {pattern!r}; pass them "
                "as keyword arguments."
            )
        if unknown:
            if known == 0 or dim % known:
                raise ValueError(
                    f"rearrange: axis of size {dim} cannot be split into {group} with "
                    f"{axes_lengths}."
                )
            sizes[unknown[0]] = dim // known
        elif known != dim:
            raise ValueError(
                f"rearrange: axis of size {dim} does not match {group} = {known} in {pattern!r}."
            )
    in_names = [name for group in in_groups for name in group]
    out_names = [name for group in out_groups for name in group]
    if len(set(in_names)) != len(in_names) or len(set(out_names)) != len(out_names):
        raise ValueError(f"rearrange: an axis name is repeated in {pattern!r}.")
    if set(in_names) != set(out_names):
        raise ValueError(
            f"rearrange: both sides of {pattern!r} must name the same axes. Only on the input "
            f"side: {sorted(set(in_names) - set(out_names))}; only on the output side: "
            f"{sorted(set(out_names) - set(in_names))}."
        )
    result = tensor.reshape([sizes[name] for name in in_names])
    result = result.permute([in_names.index(name) for name in out_names])
    out_shape = []
    for group in out_groups:
        size = 1
        for name in group:
            size *= sizes[name]
        out_shape.append(size)
    return result.reshape(out_shape)


# The public names of this module, for `from lamina.ops.core import *`.
__all__ = [name for name, value in list(globals().items())
           if callable(value) and getattr(value, "__module__", None) == __name__
           and not name.startswith("_")
           and name not in ("to_tensor", "binary_operands", "tensor_operands", "is_python_scalar")]
