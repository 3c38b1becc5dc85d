"""Initializers that sample a fixed distribution: RandomNormal, TruncatedNormal, RandomUniform.

Keras defaults: mean 0, stddev 0.05; uniform on [-0.05, 0.05]. See `initializer.py` for seeds.
"""

import torch

from lamina.initializers.initializer import RandomInitializer
from lamina.registry.export import keras_export


def check_stddev(stddev, owner):
    """A standard deviation is a number >= 0 (torch would fail only at the first build)."""
    if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or not stddev >= 0:
        raise ValueError(f"{owner}: `stddev` must be a number >= 0. Received: stddev={stddev!r}")


def sample_normal(tensor, mean, stddev, generator):
    return tensor.normal_(mean, stddev, generator=generator)


def sample_truncated_normal(tensor, mean, stddev, generator):
    """Normal samples restricted to `mean +- 2 * stddev` (Keras's truncation)."""
    low, high = mean - 2.0 * stddev, mean + 2.0 * stddev
    return torch.nn.init.trunc_normal_(tensor, mean, stddev, low, high, generator=generator)


def sample_uniform(tensor, minval, maxval, generator):
    return tensor.uniform_(minval, maxval, generator=generator)


@keras_export("initializers.RandomNormal", "initializers.random_normal", aliases=("normal",))
class RandomNormal(RandomInitializer):
    """Samples from a normal distribution.

    Args:
        mean: Mean of the distribution.
        stddev: Standard deviation of the distribution.
        seed: An int makes every call return the same values; None uses the global RNG.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        check_stddev(stddev, "RandomNormal()")
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        tensor, dtype = self._empty(shape, dtype)
        return sample_normal(tensor, self.mean, self.stddev, self._generator()).to(dtype)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@keras_export("initializers.TruncatedNormal", "initializers.truncated_normal")
class TruncatedNormal(RandomInitializer):
    """Samples from a normal distribution, redrawing values beyond 2 standard deviations.

    The result's standard deviation is therefore about 0.88 * `stddev`.

    Args:
        mean: Mean of the (untruncated) distribution.
        stddev: Standard deviation of the (untruncated) distribution.
        seed: An int makes every call return the same values; None uses the global RNG.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        check_stddev(stddev, "TruncatedNormal()")
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        tensor, dtype = self._empty(shape, dtype)
        generator = self._generator()
        return sample_truncated_normal(tensor, self.mean, self.stddev, generator).to(dtype)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@keras_export("initializers.RandomUniform", "initializers.random_uniform", aliases=("uniform",))
class RandomUniform(RandomInitializer):
    """Samples uniformly from `[minval, maxval)`.

    Args:
        minval: Lower bound.
        maxval: Upper bound.
        seed: An int makes every call return the same values; None uses the global RNG.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        if not minval <= maxval:
            raise ValueError(f"RandomUniform(): `minval` must not exceed `maxval`. Received: "
                             f"minval={minval!r}, maxval={maxval!r}")
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        tensor, dtype = self._empty(shape, dtype)
        return sample_uniform(tensor, self.minval, self.maxval, self._generator()).to(dtype)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}
