"""Helpers shared by the noise layers (GaussianNoise, GaussianDropout, AlphaDropout)."""

import torch


def check_fraction(value, name, where):
    """A number in [0, 1], as Keras requires for rates and noise levels."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(
            f"{where}: `{name}` must be a float between 0 and 1. Received: {name}={value!r}"
        )
    return float(value)


def normal_like(x, generator=None, shape=None):
    """Standard normal noise; a seeded layer draws from its own generator (on CPU inputs)."""
    shape = x.shape if shape is None else shape
    if generator is not None and x.device.type == "cpu":
        return torch.randn(shape, generator=generator, dtype=x.dtype)
    return torch.randn(shape, device=x.device, dtype=x.dtype)


def uniform_like(x, generator=None, shape=None):
    shape = x.shape if shape is None else shape
    if generator is not None and x.device.type == "cpu":
        return torch.rand(shape, generator=generator, dtype=x.dtype)
    return torch.rand(shape, device=x.device, dtype=x.dtype)
