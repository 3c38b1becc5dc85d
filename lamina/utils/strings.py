"""Strings in a numbers-only world: torch tensors hold numbers, so text stays in numpy arrays.

Text reaches a model as Python strings, lists of them or numpy arrays of str / bytes / object.
Models and data adapters pass such arrays through untouched (on the host); the preprocessing
layers that take text (`TextVectorization`, `StringLookup`, `Hashing`) turn them into integer
tensors. Every other layer rejects them with an error that says so.
"""

import numpy as np


def is_string_data(data):
    """True for a str/bytes, or a (nested) list / numpy array whose elements are strings."""
    if isinstance(data, (str, bytes)):
        return True
    if isinstance(data, np.ndarray):
        if data.dtype.kind in "US":
            return True
        return data.dtype.kind == "O" and data.size > 0 and isinstance(
            data.flat[0], (str, bytes))
    if isinstance(data, (list, tuple)):
        while isinstance(data, (list, tuple)) and data:
            data = data[0]
        return isinstance(data, (str, bytes, np.str_, np.bytes_))
    return False


def is_string_dtype(dtype):
    return dtype in ("string", "str", str, bytes, object) or getattr(dtype, "kind", None) in ("U", "S")
