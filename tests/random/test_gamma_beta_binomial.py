"""random.gamma / beta / binomial (Keras 3 signatures). Torch's RNG is not JAX's, so values
cannot equal Keras's; the tests check the distributions' moments on large samples (tolerances
several standard errors wide, fixed seeds so they are deterministic), dtypes, seeding and
broadcasting of array parameters."""

import numpy as np
import pytest
import torch

from lamina import random

N = 200_000


@pytest.mark.parametrize("alpha", [0.5, 2.0, 9.0])
def test_gamma_moments(alpha):
    samples = random.gamma((N,), alpha, seed=1).numpy()
    assert samples.dtype == np.float32 and (samples > 0).all()
    assert abs(samples.mean() - alpha) < 5 * np.sqrt(alpha / N)   # mean = alpha
    assert abs(samples.var() / alpha - 1) < 0.03                   # variance = alpha


@pytest.mark.parametrize("a, b", [(2.0, 5.0), (0.5, 0.5)])
def test_beta_moments(a, b):
    samples = random.beta((N,), a, b, seed=2).numpy()
    mean = a / (a + b)
    variance = a * b / ((a + b) ** 2 * (a + b + 1))
    assert ((samples >= 0) & (samples <= 1)).all()
    assert abs(samples.mean() - mean) < 5 * np.sqrt(variance / N)
    assert abs(samples.var() / variance - 1) < 0.03


def test_binomial_moments_and_float_dtype():
    samples = random.binomial((N,), 20, 0.3, seed=3).numpy()
    assert samples.dtype == np.float32  # Keras returns floats
    np.testing.assert_array_equal(samples, np.round(samples))
    assert samples.min() >= 0 and samples.max() <= 20
    assert abs(samples.mean() - 6.0) < 5 * np.sqrt(4.2 / N)
    assert abs(samples.var() / 4.2 - 1) < 0.03


def test_array_parameters_broadcast_to_the_shape():
    samples = random.gamma((N // 10, 2), np.array([1.0, 50.0]), seed=4).numpy()
    np.testing.assert_allclose(samples.mean(axis=0), [1.0, 50.0], rtol=0.03)
    counts = random.binomial((3, 2), np.array([0.0, 10.0]), np.array([0.5, 1.0]), seed=5)
    np.testing.assert_array_equal(counts.numpy(), [[0.0, 10.0]] * 3)


def test_seeding():
    assert torch.equal(random.beta((5,), 2.0, 3.0, seed=7), random.beta((5,), 2.0, 3.0, seed=7))
    generator = random.SeedGenerator(8)
    first, second = random.gamma((5,), 2.0, seed=generator), random.gamma((5,), 2.0, seed=generator)
    assert not torch.equal(first, second)
    assert random.gamma((3,), 2.0, dtype="float64").dtype == torch.float64


def test_invalid_parameters_are_named():
    with pytest.raises(ValueError, match="alpha"):
        random.gamma((2,), -1.0)
    with pytest.raises(ValueError, match="probabilities"):
        random.binomial((2,), 5, 1.5)
    with pytest.raises(ValueError, match="float"):
        random.beta((2,), 1.0, 1.0, dtype="int32")
