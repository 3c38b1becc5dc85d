"""`SeedGenerator`: a reproducible source of random numbers for `lamina.random` and layers.

Keras threads an explicit seed state through stateless RNG calls; torch has stateful generators,
so a SeedGenerator simply owns one `torch.Generator` per device, all seeded from `seed`. Two
generators built with the same seed produce the same sequence of draws.
"""

import random

import torch

from lamina.devices import default_device
from lamina.utils.arguments import check_kwargs


def make_default_seed():
    """A fresh seed from Python's `random` (so `set_random_seed` makes it reproducible)."""
    return random.randint(1, 2**31 - 1)


class SeedGenerator:
    """Random state for seeded draws: pass it as `seed=` to the `lamina.random` functions.

    Args:
        seed: int initial seed; `None` picks one from Python's `random` module.
        name: optional name (kept for Keras compatibility).

    Example:
        >>> gen = SeedGenerator(42)
        >>> a = lamina.random.normal((2,), seed=gen)
        >>> b = lamina.random.normal((2,), seed=gen)  # a different draw, reproducible run to run
    """

    def __init__(self, seed=None, name=None, **kwargs):
        check_kwargs(kwargs, {"backend"}, "SeedGenerator")
        if seed is None:
            seed = make_default_seed()
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError(
                f"SeedGenerator expects an integer seed or None. Received: seed={seed!r} "
                f"of type {type(seed).__name__}."
            )
        self._initial_seed = seed
        self.name = name or "seed_generator"
        self._generators = {}

    def generator(self, device=None):
        """The torch.Generator for `device` (default: lamina's default device)."""
        device = torch.device(device) if device is not None else default_device()
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        generator = self._generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device).manual_seed(self._initial_seed)
            self._generators[device] = generator
        return generator

    def next(self, ordered=True):
        """A new integer seed drawn from this generator (advances its state)."""
        draw = torch.randint(0, 2**31 - 1, (), generator=self.generator("cpu"), device="cpu")
        return int(draw)

    def get_config(self):
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator seed={self._initial_seed}>"
