"""Initializer values: sample statistics against the formulas, exact constructions, seeds, dtypes."""

import math

import pytest
import torch

from lamina import config, initializers

LARGE = (400, 500)  # 200k samples: sample mean/std within about 1% of the truth


def _std(x):
    return x.double().std().item()


def test_random_normal_statistics():
    values = initializers.RandomNormal(mean=1.0, stddev=2.0, seed=0)(LARGE)
    assert values.mean().item() == pytest.approx(1.0, abs=0.02)
    assert _std(values) == pytest.approx(2.0, rel=0.01)


def test_random_uniform_statistics_and_bounds():
    values = initializers.RandomUniform(minval=-1.0, maxval=3.0, seed=0)(LARGE)
    assert values.min().item() >= -1.0 and values.max().item() < 3.0
    assert values.min().item() < -0.99 and values.max().item() > 2.99
    assert values.mean().item() == pytest.approx(1.0, abs=0.01)
    assert _std(values) == pytest.approx(4.0 / math.sqrt(12.0), rel=0.01)


def test_defaults_are_keras_defaults():
    normal = initializers.get("random_normal")(LARGE)
    assert _std(normal) == pytest.approx(0.05, rel=0.01)
    uniform = initializers.get("uniform")(LARGE)  # Embedding's default
    assert -0.05 <= uniform.min().item() < -0.0499 and 0.0499 < uniform.max().item() <= 0.05


def test_truncated_normal_is_cut_at_two_stddev():
    values = initializers.TruncatedNormal(mean=0.5, stddev=0.1, seed=0)(LARGE)
    assert values.min().item() >= 0.3 - 1e-6 and values.max().item() <= 0.7 + 1e-6
    assert values.min().item() < 0.301 and values.max().item() > 0.699
    assert values.mean().item() == pytest.approx(0.5, abs=0.001)
    # A unit normal cut at +-2 has standard deviation 0.8796.
    assert _std(values) == pytest.approx(0.1 * 0.87962566103423978, rel=0.01)


CONV_KERNEL = (3, 3, 64, 128)  # fan_in = 576, fan_out = 1152


@pytest.mark.parametrize(
    "name, expected_variance",
    [
        ("glorot_uniform", 2.0 / (576 + 1152)),
        ("glorot_normal", 2.0 / (576 + 1152)),
        ("he_uniform", 2.0 / 576),
        ("he_normal", 2.0 / 576),
        ("lecun_uniform", 1.0 / 576),
        ("lecun_normal", 1.0 / 576),
    ],
)
def test_named_variance_scaling_on_a_conv_kernel(name, expected_variance):
    values = initializers.get(name)(CONV_KERNEL)
    assert values.shape == CONV_KERNEL
    assert _std(values) == pytest.approx(math.sqrt(expected_variance), rel=0.01)
    if name.endswith("uniform"):
        limit = math.sqrt(3 * expected_variance)
        assert values.abs().max().item() <= limit
        assert values.abs().max().item() > 0.999 * limit
    else:  # truncated at 2 of the pre-truncation stddev
        bound = 2 * math.sqrt(expected_variance) / 0.87962566103423978
        assert values.abs().max().item() <= bound * (1 + 1e-6)


def test_glorot_uniform_limit_on_dense_kernel():
    values = initializers.GlorotUniform(seed=0)((300, 100))
    limit = math.sqrt(6.0 / 400)
    assert values.abs().max().item() <= limit
    assert values.abs().max().item() > 0.999 * limit


@pytest.mark.parametrize("mode, fan", [("fan_in", 200), ("fan_out", 1000), ("fan_avg", 600)])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_modes_and_distributions(mode, fan, distribution):
    init = initializers.VarianceScaling(scale=3.0, mode=mode, distribution=distribution, seed=1)
    values = init((200, 1000))
    assert _std(values) == pytest.approx(math.sqrt(3.0 / fan), rel=0.01)


def test_variance_scaling_fan_has_floor_of_one():
    # A (0, 5) weight has fan_in 0; Keras divides by max(1, fan).
    values = initializers.VarianceScaling(mode="fan_in", distribution="uniform")((0, 5))
    assert values.shape == (0, 5)
    scalar = initializers.VarianceScaling(scale=4.0, distribution="uniform", seed=0)(())
    assert abs(scalar.item()) <= math.sqrt(12.0)


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 4, 8)])
def test_orthogonal(shape):
    values = initializers.Orthogonal(gain=1.0, seed=0)(shape)
    assert values.shape == shape
    matrix = values.reshape(-1, shape[-1]).double()
    if matrix.shape[0] >= matrix.shape[1]:
        gram = matrix.T @ matrix
    else:
        gram = matrix @ matrix.T
    torch.testing.assert_close(gram, torch.eye(gram.shape[0], dtype=torch.float64), atol=1e-5,
                               rtol=0)


def test_orthogonal_gain_and_rank_check():
    values = initializers.Orthogonal(gain=2.5, seed=0)((5, 5)).double()
    torch.testing.assert_close(values.T @ values, 6.25 * torch.eye(5, dtype=torch.float64),
                               atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match=r"rank 2 or more.*shape=\(5,\)"):
        initializers.Orthogonal()((5,))


def test_identity():
    torch.testing.assert_close(initializers.Identity()((3, 3)), torch.eye(3))
    torch.testing.assert_close(initializers.Identity(gain=2.0)((2, 4)), 2 * torch.eye(2, 4))
    with pytest.raises(ValueError, match=r"2D shape.*rank 3"):
        initializers.Identity()((2, 2, 2))


def test_constants():
    assert torch.equal(initializers.Zeros()((2, 3)), torch.zeros(2, 3))
    assert torch.equal(initializers.Ones()((4,)), torch.ones(4))
    assert torch.equal(initializers.Constant(2.5)((2, 2)), torch.full((2, 2), 2.5))
    assert torch.equal(initializers.Constant([1.0, 2.0])((3, 2)),
                       torch.tensor([[1.0, 2.0]] * 3))
    ints = initializers.get("zeros")((3,), dtype="int32")
    assert ints.dtype == torch.int32


ALL_RANDOM = ["random_normal", "random_uniform", "truncated_normal", "variance_scaling",
              "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
              "lecun_normal", "orthogonal"]


@pytest.mark.parametrize("name", ALL_RANDOM)
def test_seeded_calls_repeat_and_ignore_global_rng(name):
    cls = type(initializers.get(name))
    init = cls(seed=42)
    first = init((8, 6))
    torch.manual_seed(0)
    second = init((8, 6))
    torch.manual_seed(1)
    third = cls(seed=42)((8, 6))
    assert torch.equal(first, second) and torch.equal(first, third)
    assert not torch.equal(first, cls(seed=43)((8, 6)))


@pytest.mark.parametrize("name", ALL_RANDOM)
def test_unseeded_use_the_global_rng(name):
    init = initializers.get(name)
    torch.manual_seed(123)
    first, second = init((8, 6)), init((8, 6))
    torch.manual_seed(123)
    assert torch.equal(init((8, 6)), first)
    assert not torch.equal(first, second)


@pytest.mark.parametrize("name", ALL_RANDOM + ["zeros", "ones", "identity"])
def test_dtypes(name):
    init = initializers.get(name)
    assert init((4, 4)).dtype == torch.float32
    assert init((4, 4)).device.type == "cpu"
    for dtype, expected in [("float64", torch.float64), (torch.float16, torch.float16),
                            ("bfloat16", torch.bfloat16)]:
        assert init((4, 4), dtype=dtype).dtype == expected


def test_half_precision_gets_the_float32_values_rounded():
    init = initializers.GlorotUniform(seed=3)
    torch.testing.assert_close(init((5, 5), dtype="float16"), init((5, 5)).half())


def test_default_dtype_follows_floatx():
    config.set_floatx("float64")
    try:
        assert initializers.HeNormal()((3, 3)).dtype == torch.float64
        assert initializers.Zeros()((3,)).dtype == torch.float64
    finally:
        config.set_floatx("float32")


def test_random_initializer_rejects_integer_dtype():
    with pytest.raises(ValueError, match=r"RandomNormal draws floating-point values.*int32"):
        initializers.RandomNormal()((2, 2), dtype="int32")


def test_shape_must_be_known():
    with pytest.raises(ValueError, match=r"every dimension must be known"):
        initializers.GlorotUniform()((None, 3))


def test_shape_may_be_an_int_or_list():
    assert initializers.Ones()(3).shape == (3,)
    assert initializers.GlorotUniform()([2, 3]).shape == (2, 3)
