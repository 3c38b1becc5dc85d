"""lamina.random: seeding rules, distribution statistics, dropout scaling."""

import numpy as np
import pytest
import torch

from lamina import random
from lamina.random import SeedGenerator


@pytest.mark.parametrize(
    "draw",
    [
        lambda seed: random.normal((50,), seed=seed),
        lambda seed: random.uniform((50,), seed=seed),
        lambda seed: random.truncated_normal((50,), seed=seed),
        lambda seed: random.randint((50,), 0, 10, seed=seed),
        lambda seed: random.categorical(torch.zeros(2, 5), 20, seed=seed),
        lambda seed: random.dropout(torch.ones(50), 0.5, seed=seed),
        lambda seed: random.shuffle(torch.arange(50), seed=seed),
    ],
    ids=["normal", "uniform", "truncated_normal", "randint", "categorical", "dropout", "shuffle"],
)
def test_seeding_rules(draw):
    # An int seed repeats itself; a SeedGenerator advances but replays from the same seed.
    torch.testing.assert_close(draw(7), draw(7))
    first, second = SeedGenerator(3), SeedGenerator(3)
    a1, a2 = draw(first), draw(first)
    b1, b2 = draw(second), draw(second)
    torch.testing.assert_close(a1, b1)
    torch.testing.assert_close(a2, b2)
    assert not torch.equal(a1, a2)
    # seed=None uses torch's global RNG.
    torch.manual_seed(11)
    g1 = draw(None)
    torch.manual_seed(11)
    torch.testing.assert_close(draw(None), g1)


def test_normal_statistics_and_dtype():
    x = random.normal((20000,), mean=2.0, stddev=3.0, seed=1)
    assert x.dtype == torch.float32
    assert abs(x.mean().item() - 2.0) < 0.1
    assert abs(x.std().item() - 3.0) < 0.1
    assert random.normal((2, 3), dtype="float64").dtype == torch.float64


def test_uniform_range_and_mean():
    x = random.uniform((20000,), minval=-1.0, maxval=3.0, seed=2)
    assert x.min() >= -1.0 and x.max() < 3.0
    assert abs(x.mean().item() - 1.0) < 0.05


def test_truncated_normal_stays_within_two_stddevs():
    x = random.truncated_normal((20000,), mean=1.0, stddev=0.5, seed=3)
    assert x.min() >= 0.0 and x.max() <= 2.0
    # A normal truncated at +-2 sigma has standard deviation 0.8796 sigma.
    assert abs(x.std().item() - 0.8796 * 0.5) < 0.01


def test_randint_range_and_dtype():
    x = random.randint((5000,), 3, 7, seed=4)
    assert x.dtype == torch.int32
    assert set(x.tolist()) == {3, 4, 5, 6}


def test_categorical_follows_the_logits():
    logits = torch.log(torch.tensor([[0.1, 0.9], [0.7, 0.3]]))
    samples = random.categorical(logits, 4000, seed=5)
    assert samples.shape == (2, 4000) and samples.dtype == torch.int32
    frequencies = samples.float().mean(dim=1)
    torch.testing.assert_close(frequencies, torch.tensor([0.9, 0.3]), atol=0.03, rtol=0)
    with pytest.raises(ValueError, match=r"shape \(batch_size, num_classes\)"):
        random.categorical(torch.zeros(5), 2)


@pytest.mark.parametrize("seed", [None, 9])
def test_dropout_scales_kept_units(seed):
    rate = 0.25
    x = torch.ones(10000)
    y = random.dropout(x, rate, seed=seed)
    kept = y[y != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / (1 - rate)))
    assert abs((y == 0).float().mean().item() - rate) < 0.02


def test_dropout_noise_shape_drops_whole_slices():
    x = torch.ones(4, 100, 3)
    y = random.dropout(x, 0.5, noise_shape=(None, 1, 3), seed=1)
    # Along axis 1 every value of a (batch, channel) slice is kept or dropped together.
    assert torch.all(y.amin(dim=1) == y.amax(dim=1))
    assert set(torch.unique(y).tolist()) <= {0.0, 2.0}


def test_dropout_edge_rates_and_errors():
    x = torch.randn(5)
    torch.testing.assert_close(random.dropout(x, 0.0, seed=1), x)
    assert torch.all(random.dropout(x, 1.0) == 0)
    with pytest.raises(ValueError, match=r"`rate` must be in \[0, 1\]"):
        random.dropout(x, 1.5)


def test_shuffle_is_a_permutation_along_axis():
    x = torch.arange(12).reshape(3, 4)
    y = random.shuffle(x, axis=1, seed=2)
    assert torch.equal(torch.sort(y, dim=1).values, x)
    assert torch.equal(y[1] - y[0], torch.full((4,), 4))  # columns move together


def test_seed_generator_config_and_errors():
    gen = SeedGenerator(123)
    assert gen.get_config() == {"seed": 123}
    clone = SeedGenerator.from_config(gen.get_config())
    torch.testing.assert_close(random.normal((3,), seed=clone), random.normal((3,), seed=gen))
    assert isinstance(SeedGenerator().next(), int)
    with pytest.raises(ValueError, match="integer seed"):
        SeedGenerator("abc")
    with pytest.raises(ValueError, match="`seed` must be None, an int or"):
        random.normal((2,), seed=1.5)
    with pytest.raises(TypeError, match="'sed'"):
        SeedGenerator(sed=1)


def test_unseeded_seed_generator_follows_python_random():
    import random as python_random

    python_random.seed(0)
    a = SeedGenerator().get_config()["seed"]
    python_random.seed(0)
    assert SeedGenerator().get_config()["seed"] == a


def test_float_functions_reject_integer_dtype():
    with pytest.raises(ValueError, match="must be a float type"):
        random.normal((2,), dtype="int32")


def test_dropout_on_meta_tensors_for_shape_inference():
    x = torch.empty(2, 3, device="meta")
    assert random.dropout(x, 0.5, seed=SeedGenerator(1)).shape == (2, 3)
    np.testing.assert_equal(random.dropout(x, 0.5).device.type, "meta")
