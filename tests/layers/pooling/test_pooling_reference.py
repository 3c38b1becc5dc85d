"""Pooling layers against Keras 3 (JAX backend), including "same" padding at the borders."""

import numpy as np
import pytest
import torch

import lamina
from lamina.layers import pooling

from .fixture_cases import load_cases

CASES, KERAS_CONFIGS = load_cases("keras_pooling")


def _layer(case):
    return getattr(pooling, case["class"])(**case["kwargs"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_output_matches_keras(case):
    kwargs = {} if case["mask"] is None else {"mask": torch.as_tensor(case["mask"])}
    y = _layer(case)(case["x"], **kwargs)
    assert tuple(y.shape) == tuple(case["output_shape"])
    np.testing.assert_allclose(y.numpy(), case["y"], atol=1e-6, rtol=0)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_symbolic_output_shape_matches_keras(case):
    batch_shape = (None,) + tuple(case["input_shape"][1:])
    output = _layer(case)(lamina.Input(batch_shape=batch_shape))
    assert tuple(output.shape) == (None,) + tuple(case["output_shape"][1:])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_gradient_flows_to_the_input(case):
    x = torch.tensor(case["x"], requires_grad=True)
    _layer(case)(x).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("class_name", sorted(KERAS_CONFIGS))
def test_default_config_matches_keras(class_name):
    keras_config = KERAS_CONFIGS[class_name]
    arguments = {"pool_size": 2} if class_name.startswith("Average") else {}
    config = getattr(pooling, class_name)(**arguments).get_config()
    assert set(config) - {"name", "dtype"} == set(keras_config)
    for key, expected in keras_config.items():
        value = config[key]
        assert (list(value) if isinstance(value, tuple) else value) == expected, key
