"""Activation outputs against Keras 3 (fixture), plus properties and gradients."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import activations

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "keras_activations.json").read_text()
)


def _case_id(case):
    arguments = ",".join(f"{key}={value}" for key, value in case["kwargs"].items())
    return f"{case['name']}({arguments})[{case['input']}]"


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=_case_id)
def test_matches_keras(case):
    x = torch.tensor(FIXTURE["inputs"][case["input"]], dtype=torch.float32)
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}
    result = activations.get(case["name"])(x, **kwargs)
    assert result.dtype == torch.float32
    np.testing.assert_allclose(result.numpy(), case["output"], rtol=2e-6, atol=2e-6)


def test_hard_sigmoid_is_the_keras3_formula_not_keras2():
    x = torch.tensor([-4.0, -3.0, -1.0, 0.0, 1.5, 3.0, 4.0])
    expected = torch.clamp(x + 3, 0, 6) / 6
    torch.testing.assert_close(activations.hard_sigmoid(x), expected)
    assert activations.hard_sigmoid(torch.tensor(1.0)) != 0.2 * 1.0 + 0.5


def test_leaky_relu_default_slope_is_keras_not_torch():
    assert activations.leaky_relu(torch.tensor(-1.0)).item() == pytest.approx(-0.2)


def test_sparsemax_projects_onto_the_simplex():
    x = torch.tensor([[1.0, 2.0, 3.0], [0.1, 0.2, 0.3], [0.5, 1.2, -2.0]])
    expected = torch.tensor([[0.0, 0.0, 1.0], [0.7 / 3, 1.0 / 3, 1.3 / 3], [0.15, 0.85, 0.0]])
    result = activations.sparsemax(x)
    torch.testing.assert_close(result, expected)
    torch.testing.assert_close(result.sum(-1), torch.ones(3))
    torch.testing.assert_close(activations.sparsemax(x.T, axis=0), expected.T)


def test_softmax_rows_sum_to_one_along_axis():
    x = torch.randn(4, 5, 6, generator=torch.Generator().manual_seed(0))
    for axis in (0, 1, -1):
        torch.testing.assert_close(activations.softmax(x, axis=axis).sum(axis), torch.ones(
            [d for i, d in enumerate(x.shape) if i != axis % 3]))
    torch.testing.assert_close(
        activations.log_softmax(x, axis=(1, 2)).exp().sum((1, 2)), torch.ones(4)
    )


@pytest.mark.parametrize("name", ["relu", "gelu", "selu", "mish", "softplus", "hard_silu",
                                  "squareplus", "sparse_plus", "celu", "log_sigmoid"])
def test_gradients_match_finite_differences(name):
    # Points away from kinks, in float64, so the numerical gradient is exact enough.
    x = torch.tensor([-2.3, -0.7, 0.4, 1.9, 3.3], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(activations.get(name), (x,))


def test_accepts_lists_and_numpy():
    np.testing.assert_allclose(activations.relu([-1, 2]).numpy(), [0.0, 2.0])
    assert activations.relu([-1, 2]).dtype == torch.float32
    result = activations.sigmoid(np.zeros(3, dtype="float64"))
    assert result.dtype == torch.float64 and torch.all(result == 0.5)


def test_keeps_dtype_and_device_of_input():
    x = torch.linspace(-3, 3, 7, dtype=torch.float64)
    for name in ("relu", "gelu", "softmax", "hard_sigmoid", "sparse_plus", "sparsemax"):
        assert activations.get(name)(x).dtype == torch.float64, name


def test_linear_returns_its_input():
    x = torch.randn(3)
    assert activations.linear(x) is x


@pytest.mark.parametrize("name", sorted(set(FIXTURE["names"]) - {"threshold"}))
def test_output_stays_on_the_input_device(name):
    # The meta device stands in for CUDA here: a tensor created on the CPU inside an
    # activation would fail to combine with it.
    x = torch.empty(3, 4, device="meta")
    result = activations.get(name)(x)
    assert result.device.type == "meta"
    assert result.shape == ((3, 2) if name == "glu" else (3, 4))
