"""Names and initial values of optimizer slots (the per-variable state such as momentum)."""

import numbers

import torch

from lamina import config as lamina_config


def variable_path(variable):
    """A parameter's Keras path ("dense/kernel"), as layers set it, else None.

    (torch reserves `Tensor.name`, so the path is the only name a Parameter carries.)
    """
    path = getattr(variable, "path", None)
    return path if isinstance(path, str) else None


def variable_name(variable):
    """A parameter's Keras name: the last part of its path ("kernel"), else None."""
    path = variable_path(variable)
    return None if path is None else path.rsplit("/", 1)[-1]


def slot_prefix(variable, index):
    """What a slot's name starts with, as in Keras: the variable's path with "/" -> "_"."""
    path = variable_path(variable) or f"variable_{index}"
    return path.replace("/", "_").replace(":", "_")


def initial_value(initializer, shape, dtype, device):
    if isinstance(initializer, str) and initializer in ("zeros", "ones"):
        return getattr(torch, initializer)(shape, dtype=dtype, device=device)
    if isinstance(initializer, numbers.Real):
        return torch.full(shape, float(initializer), dtype=dtype, device=device)
    if callable(initializer):
        value = initializer(shape, dtype=lamina_config.dtype_name(dtype))
        return torch.as_tensor(value, dtype=dtype).to(device).clone()
    raise ValueError(
        f"Unsupported optimizer variable initializer {initializer!r}: use 'zeros', 'ones', a "
        "number, or a callable `(shape, dtype) -> array`."
    )
