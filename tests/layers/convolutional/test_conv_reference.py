"""Convolution layers against Keras 3 (JAX backend): same weights in, same numbers out."""

import numpy as np
import pytest
import torch

import lamina
from lamina.layers import convolutional

from .fixture_cases import load_cases

CASES, KERAS_CONFIGS = load_cases("keras_conv")


def _layer(case):
    return getattr(convolutional, case["class"])(**case["kwargs"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_output_matches_keras_with_the_same_weights(case):
    layer = _layer(case)
    layer.build(tuple(case["input_shape"]))
    # Keras layout: the fixture's weight arrays fit as they are.
    assert [tuple(w.shape) for w in layer.get_weights()] == [w.shape for w in case["weights"]]
    layer.set_weights(case["weights"])
    y = layer(case["x"])
    assert tuple(y.shape) == tuple(case["output_shape"])
    np.testing.assert_allclose(y.detach().numpy(), case["y"], atol=1e-5, rtol=0)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_symbolic_output_shape_matches_keras(case):
    batch_shape = (None,) + tuple(case["input_shape"][1:])
    output = _layer(case)(lamina.Input(batch_shape=batch_shape))
    assert tuple(output.shape) == (None,) + tuple(case["output_shape"][1:])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_gradients_reach_every_weight(case):
    layer = _layer(case)
    x = torch.tensor(case["x"], requires_grad=True)
    layer(x)
    layer.set_weights(case["weights"])
    (layer(x) ** 2).sum().backward()
    assert layer.trainable_weights, "conv layers have weights"
    for weight in layer.trainable_weights:
        assert weight.grad is not None and weight.grad.abs().sum() > 0, weight.path
    assert x.grad.abs().sum() > 0


@pytest.mark.parametrize("class_name", sorted(KERAS_CONFIGS))
def test_default_config_matches_keras(class_name):
    keras_config = KERAS_CONFIGS[class_name]
    arguments = {k: keras_config[k] for k in ("filters", "kernel_size") if k in keras_config}
    config = getattr(convolutional, class_name)(**arguments).get_config()
    assert set(config) - {"name", "dtype"} == set(keras_config)
    for key, expected in keras_config.items():
        value = config[key]
        if isinstance(expected, dict):  # initializers: same class (Keras adds version fields)
            assert value["class_name"] == expected["class_name"], key
        else:
            assert (list(value) if isinstance(value, tuple) else value) == expected, key
