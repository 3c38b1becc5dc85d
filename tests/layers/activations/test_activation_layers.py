"""Activation layers (ReLU, LeakyReLU, ELU, PReLU, Softmax) against Keras 3
(fixtures/make_fixtures.py), plus shapes, gradients, masks, configs and errors."""

import json
import math
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina.layers.activations.elu import ELU
from lamina.layers.activations.leaky_relu import LeakyReLU
from lamina.layers.activations.prelu import PReLU
from lamina.layers.activations.relu import ReLU
from lamina.layers.activations.softmax import Softmax

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
FIXTURE = json.loads((FIXTURES / "keras_activation_layers.json").read_text())
DATA = np.load(FIXTURES / "keras_activation_layers.npz")["data"]
CLASSES = {cls.__name__: cls for cls in (ReLU, LeakyReLU, ELU, PReLU, Softmax)}


def array(case, name):
    offset, shape = FIXTURE["index"][f"{case['id']}/{name}"]
    return DATA[offset:offset + math.prod(shape)].reshape(shape)


def build_like_keras(case):
    layer = CLASSES[case["layer"]](**case["kwargs"])
    x = torch.as_tensor(array(case, "x"))
    layer(x)
    if case["weights"]:
        layer.set_weights([array(case, f"w{i}") for i in range(case["weights"])])
    return layer, x


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["id"])
def test_matches_keras(case):
    layer, x = build_like_keras(case)
    kwargs = {"mask": torch.as_tensor(array(case, "mask"))} if case["mask"] else {}
    np.testing.assert_allclose(layer(x, **kwargs).detach().numpy(), array(case, "y"),
                               atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("case", [c for c in FIXTURE["cases"] if c["weights"]],
                         ids=lambda c: c["id"])
def test_prelu_gradients_match_keras(case):
    layer, x = build_like_keras(case)
    x.requires_grad_(True)
    (layer(x) * torch.as_tensor(array(case, "r"))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), array(case, "g_x"), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(layer.alpha.grad.numpy(), array(case, "g_w0"), atol=1e-5,
                               rtol=1e-5)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["id"])
def test_symbolic_shapes(case):
    shape = array(case, "x").shape
    layer = CLASSES[case["layer"]](**case["kwargs"])
    assert layer(lamina.Input(shape=shape[1:])).shape == (None,) + shape[1:]


def test_prelu_alpha_layout_and_shared_axes():
    layer = PReLU(shared_axes=[1, 2])
    layer(torch.zeros(2, 5, 6, 3))
    assert [tuple(w.shape) for w in layer.weights] == [(1, 1, 3)]
    assert np.all(layer.get_weights()[0] == 0)  # Keras starts at zero (a plain ReLU)
    per_element = PReLU()
    per_element(torch.zeros(2, 5, 3))
    assert tuple(per_element.alpha.shape) == (5, 3)
    # Sequences of any length: share the time axis.
    assert PReLU(shared_axes=1)(lamina.Input((None, 4))).shape == (None, None, 4)


def test_softmax_mask_gives_masked_positions_zero_probability():
    x = torch.randn(2, 5)
    mask = torch.tensor([[True, True, False, True, False], [False, True, True, True, True]])
    y = Softmax()(x, mask=mask)
    assert torch.all(y[~mask] == 0)
    torch.testing.assert_close(y.sum(-1), torch.ones(2))
    torch.testing.assert_close(y[0, mask[0]], torch.softmax(x[0, mask[0]], -1))


def test_leaky_relu_accepts_keras2_alpha_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="alpha.*negative_slope"):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    assert LeakyReLU().negative_slope == 0.3  # Keras's layer default, not torch's 0.01
    assert LeakyReLU()(torch.tensor([-1.0])).item() == pytest.approx(-0.3)


def test_configs_have_keras_keys_and_defaults():
    for name, keras_config in FIXTURE["configs"].items():
        config = CLASSES[name]().get_config()
        for key, value in keras_config.items():
            if key in ("name", "dtype"):
                continue
            if isinstance(value, dict):
                assert config[key]["class_name"] == value["class_name"], (name, key)
            else:
                assert config[key] == value, (name, key)


@pytest.mark.parametrize("layer", [
    ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5), LeakyReLU(0.2), ELU(0.7),
    PReLU(shared_axes=[1], alpha_initializer="ones", alpha_regularizer="l2"), Softmax(axis=[1, 2]),
])
def test_config_round_trip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config


def test_bad_arguments_and_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="non-negative number or None.*max_value=-1"):
        ReLU(max_value=-1)
    with pytest.raises(ValueError, match="non-negative.*negative_slope=-0.1"):
        LeakyReLU(-0.1)
    with pytest.raises(ValueError, match="shared_axes must name non-batch axes"):
        PReLU(shared_axes=[0])(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="needs a known size"):
        PReLU()(lamina.Input((None, 3)))
    with pytest.raises(ValueError, match=r"mask that broadcasts.*mask.shape=\(2, 3\)"):
        Softmax()(torch.zeros(2, 4), mask=torch.ones(2, 3, dtype=torch.bool))
    layer = PReLU()
    layer(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="expected axis 1 of input shape to have value 3"):
        layer(torch.zeros(2, 4))
