"""Turn whatever an example statement returns into plain JSON, the same way on both sides, so
the parent process can compare a jax array with a torch tensor.

Arrays (numpy, jax, torch, Keras/lamina Variables) become {"kind": "array", shape, dtype, values};
symbolic tensors {"kind": "symbolic", shape, dtype}; containers are described element-wise;
any other object only by its class name (backends' objects have nothing else in common).
"""

import math

import numpy as np

MAX_VALUES = 4096  # beyond this an array is described by summary statistics (see _array)
_MAX_DEPTH = 6


def dtype_name(dtype):
    """'float32' for numpy, jax and torch dtypes alike ("torch.float32" -> "float32")."""
    name = getattr(dtype, "name", None) if not isinstance(dtype, str) else dtype
    if not isinstance(name, str):
        name = str(dtype)
    return name.replace("torch.", "").replace("<class '", "").replace("'>", "")


def _is_symbolic(value):
    return type(value).__name__ == "KerasTensor"


def _is_torch(value):
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _is_array(value):
    if isinstance(value, (np.ndarray, np.generic)) or _is_torch(value):
        return True
    module = type(value).__module__
    # jax arrays, and Keras Variables (which define __array__ and a shape).
    return (module.startswith(("jax", "jaxlib")) and hasattr(value, "shape")) or (
        hasattr(value, "__array__") and hasattr(value, "shape") and hasattr(value, "dtype"))


def _to_numpy(value):
    if _is_torch(value):
        tensor = value.detach().cpu()
        if tensor.dtype.is_floating_point and tensor.dtype.itemsize < 4:
            tensor = tensor.float()  # bfloat16 has no numpy dtype; the dtype name is kept apart
        return tensor.numpy()
    array = np.asarray(value)
    if array.dtype.kind == "V" or dtype_name(array.dtype) in ("bfloat16", "float8_e4m3fn",
                                                              "float8_e5m2"):
        array = array.astype(np.float32)  # ml_dtypes kinds: compare as float32
    return array


def _numbers(array):
    if array.dtype.kind in "biufc":
        flat = array.astype(np.complex128 if array.dtype.kind == "c" else np.float64).ravel()
        return [[float(v.real), float(v.imag)] if array.dtype.kind == "c" else _number(float(v))
                for v in flat]
    return [str(v) for v in array.ravel()]


def _number(v):
    # JSON has no NaN/inf: spell them as strings.
    return v if math.isfinite(v) else str(v)


def _array(value):
    array = _to_numpy(value)
    described = {"kind": "array", "shape": list(array.shape),
                 "dtype": dtype_name(getattr(value, "dtype", array.dtype))}
    if array.size <= MAX_VALUES:
        described["values"] = _numbers(array)
    elif array.dtype.kind in "biuf":
        a = array.astype(np.float64)
        described["summary"] = [_number(float(f(a))) for f in (np.nanmean, np.nanstd, np.nanmin,
                                                                  np.nanmax)]
        described["values_head"] = _numbers(array.ravel()[:64])
    return described


def describe(value, depth=0):
    if depth > _MAX_DEPTH:
        return {"kind": "deep", "type": type(value).__name__}
    if value is None or isinstance(value, (bool, str)):
        return {"kind": type(value).__name__, "value": value}
    if isinstance(value, int):
        return {"kind": "int", "value": value}
    if isinstance(value, float):
        return {"kind": "float", "value": _number(value)}
    if isinstance(value, complex):
        return {"kind": "complex", "value": [value.real, value.imag]}
    if isinstance(value, type):  # before the array test: a class has `shape`/`dtype` too
        return {"kind": "class", "value": value.__name__}
    if _is_symbolic(value):
        return {"kind": "symbolic", "shape": [d if d is None else int(d) for d in value.shape],
                "dtype": dtype_name(value.dtype)}
    if _is_array(value):
        return _array(value)
    if isinstance(value, (np.dtype,)) or type(value).__name__ == "dtype" or (
            isinstance(value, type) and issubclass(value, np.generic)):
        return {"kind": "dtype", "value": dtype_name(value if not isinstance(value, type)
                                                     else np.dtype(value))}
    if isinstance(value, (list, tuple)):
        # torch.Size is a tuple, like the tuples Keras uses for shapes.
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"kind": kind, "items": [describe(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"kind": "dict", "items": {str(k): describe(v, depth + 1)
                                          for k, v in value.items()}}
    if isinstance(value, (set, frozenset)):
        return {"kind": "set", "items": sorted(repr(v) for v in value)}
    if callable(value) and hasattr(value, "__name__") and not hasattr(value, "get_config"):
        return {"kind": "callable", "value": value.__name__}
    return {"kind": "object", "type": type(value).__name__}
