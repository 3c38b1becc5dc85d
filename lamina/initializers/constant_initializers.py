"""Initializers with no randomness: Zeros, Ones, Constant, Identity."""

import numpy as np
import torch

from lamina import config
from lamina.initializers.initializer import Initializer
from lamina.initializers.initializer import standardize_shape
from lamina.registry.export import keras_export


@keras_export("initializers.Zeros", "initializers.zeros", aliases=("zero",))
class Zeros(Initializer):
    """Fills the tensor with 0 (any dtype, integers included)."""

    def __call__(self, shape, dtype=None):
        return torch.zeros(standardize_shape(shape), dtype=config.to_torch_dtype(dtype))


@keras_export("initializers.Ones", "initializers.ones", aliases=("one",))
class Ones(Initializer):
    """Fills the tensor with 1 (any dtype, integers included)."""

    def __call__(self, shape, dtype=None):
        return torch.ones(standardize_shape(shape), dtype=config.to_torch_dtype(dtype))


@keras_export("initializers.Constant", "initializers.constant")
class Constant(Initializer):
    """Fills the tensor with `value`: a number, or an array that broadcasts to the shape.

    Args:
        value: The fill value (default 0.0).
    """

    def __init__(self, value=0.0):
        try:
            if not isinstance(value, torch.Tensor):
                np.asarray(value, dtype="float64")
        except (TypeError, ValueError):
            raise TypeError("Constant(): `value` must be a number or an array of numbers. "
                            f"Received: value={value!r}") from None
        self.value = value

    def __call__(self, shape, dtype=None):
        shape, dtype = standardize_shape(shape), config.to_torch_dtype(dtype)
        if isinstance(self.value, (int, float, bool)):
            return torch.full(shape, self.value, dtype=dtype)
        value = torch.as_tensor(np.asarray(self.value)).to(dtype)
        return value.expand(shape).clone()

    def get_config(self):
        value = self.value
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        if isinstance(value, (np.ndarray, np.generic)):
            value = value.tolist()
        return {"value": value}


@keras_export("initializers.Identity", "initializers.IdentityInitializer", "initializers.identity")
class Identity(Initializer):
    """`gain` times the identity matrix (2D shapes only; non-square gives a rectangular eye).

    Args:
        gain: Multiplier of the identity matrix.
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity initializer needs a 2D shape (rows, columns). "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        eye = torch.eye(*shape, dtype=config.to_torch_dtype(dtype))
        return eye if self.gain == 1 else eye * self.gain

    def get_config(self):
        # Keras 3.15 leaves `gain` out of this config, so a reloaded Identity(2.0) loses its gain;
        # lamina saves it (a Keras config without it still loads, as gain=1.0).
        return {"gain": self.gain}
