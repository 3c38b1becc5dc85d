"""The `Initializer` base class, and the seed and dtype handling its random subclasses share.

An initializer is called as `init(shape, dtype=None)` and returns a new CPU tensor; the layer that
owns the weight moves it to its device.

Seeds, compared with Keras 3:
- `seed=<int>`: every call returns the same values (as in Keras), drawn from a private
  `torch.Generator`, so it does not disturb or depend on the global RNG.
- `seed=None`: every call draws fresh values from torch's global RNG, so `torch.manual_seed(s)` /
  `lamina.utils.set_random_seed(s)` makes a whole model reproducible. (Keras instead fixes a seed
  when the initializer is created, so one unseeded instance shared by two layers gives both the
  same weights - a known trap that lamina does not reproduce.)
"""

import numbers

import torch

from lamina import config
from lamina.registry.export import keras_export


@keras_export("initializers.Initializer", "Initializer", aliases=("initializer",))
class Initializer:
    """Base class: subclasses implement `__call__(shape, dtype=None)` and, if they take
    arguments, `get_config()`."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(self, shape, dtype=None) returning a "
            "tensor of that shape and dtype."
        )

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        # tf.keras 1.x wrote the dtype into initializer configs; it is now a call argument.
        config = {key: value for key, value in config.items() if key != "dtype"}
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class RandomInitializer(Initializer):
    """Shared by the random initializers: validates `seed` and picks the generator."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(
                f"`seed` must be an integer or None. Received: seed={seed!r} "
                f"(of type {type(seed).__name__})."
            )
        self.seed = None if seed is None else int(seed)

    def get_config(self):
        return {"seed": self.seed}

    def _generator(self):
        """A fresh generator at `seed` (same values every call), or None for the global RNG."""
        if self.seed is None:
            return None
        generator = torch.Generator()
        generator.manual_seed(self.seed)
        return generator

    def _empty(self, shape, dtype):
        """An uninitialised tensor to sample into, and the dtype to hand back.

        Samples are drawn in float32 (float64 if asked) and cast afterwards, so half-precision
        weights get the same values as float32 ones and every sampler works on CPU.
        """
        dtype = config.to_torch_dtype(dtype)
        if not dtype.is_floating_point:
            raise ValueError(
                f"{type(self).__name__} draws floating-point values, but dtype={dtype_label(dtype)} "
                "was requested. Use a float dtype such as 'float32', or a constant initializer "
                "('zeros', 'ones', Constant) for integer weights."
            )
        work_dtype = torch.float64 if dtype == torch.float64 else torch.float32
        return torch.empty(standardize_shape(shape), dtype=work_dtype), dtype


def standardize_shape(shape):
    """`(3, 4)`, `[3, 4]`, `torch.Size` or a single int -> a tuple of ints; `None` dims rejected."""
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(shape)
    if any(dim is None for dim in shape):
        raise ValueError(
            f"Cannot initialize a tensor of shape {shape}: every dimension must be known. "
            "Build the layer with a fully defined input shape."
        )
    return tuple(int(dim) for dim in shape)


def dtype_label(dtype):
    return str(dtype).replace("torch.", "")
