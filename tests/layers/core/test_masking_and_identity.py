"""Masking and Identity against Keras 3 (fixtures/make_fixtures.py), and mask propagation
through models."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina.layers.activations.softmax import Softmax
from lamina.layers.core.identity import Identity
from lamina.layers.core.masking import Masking

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "keras_masking.json").read_text())


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: f"mask_value={c['mask_value']}")
def test_masking_matches_keras(case):
    y = Masking(mask_value=case["mask_value"])(torch.tensor(case["x"]))
    np.testing.assert_array_equal(y.numpy(), case["y"])
    np.testing.assert_array_equal(y._keras_mask.numpy(), case["mask"])


def test_masking_mask_reaches_downstream_layers_in_models():
    x = torch.tensor(FIXTURE["cases"][0]["x"])
    expected = torch.tensor(FIXTURE["cases"][0]["mask"])
    inputs = lamina.Input((4, 2))
    outputs = lamina.layers.Dense(3)(Identity()(Masking()(inputs)))
    functional = lamina.Model(inputs, outputs)
    assert torch.equal(functional(x)._keras_mask, expected)
    sequential = lamina.Sequential([lamina.Input((4, 2)), Masking(), lamina.layers.Dense(3)])
    assert torch.equal(sequential(x)._keras_mask, expected)


def test_a_layer_with_a_mask_argument_receives_the_propagated_mask():
    x = torch.tensor([[[1.0], [0.0], [2.0]]])  # (batch, steps, 1)
    masked = Masking()(x)
    scores = masked[..., 0]  # (batch, steps): a new tensor, so pass the mask explicitly
    y = Softmax()(scores, mask=masked._keras_mask)
    assert y[0, 1] == 0
    torch.testing.assert_close(y[0, [0, 2]], torch.softmax(torch.tensor([1.0, 2.0]), 0))


def test_identity_returns_its_input_and_keeps_the_mask():
    x = torch.randn(2, 3)
    x._keras_mask = torch.tensor([True, False])
    y = Identity()(x)
    assert y is x and torch.equal(y._keras_mask, x._keras_mask)
    a, b = lamina.Input((3,)), lamina.Input((4, 5))
    assert [t.shape for t in Identity()([a, b])] == [(None, 3), (None, 4, 5)]
    assert Identity()(a).shape == (None, 3)


def test_masking_gradient_is_zero_on_masked_steps():
    x = torch.tensor([[[1.0, 2.0], [0.0, 0.0]]], requires_grad=True)
    Masking()(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([[[1.0, 1.0], [0.0, 0.0]]]))


def test_configs_match_keras_and_round_trip():
    for cls in (Masking, Identity):
        keras_config = FIXTURE["configs"][cls.__name__]
        config = json.loads(json.dumps(cls().get_config()))
        for key, value in keras_config.items():
            if key not in ("name", "dtype"):
                assert config[key] == value, (cls.__name__, key)
        clone = cls.from_config(config)
        assert clone.get_config() == config
    assert Masking(mask_value=-1.0).get_config()["mask_value"] == -1.0


def test_bad_keywords_raise_with_a_hint():
    with pytest.raises(TypeError, match="unexpected keyword argument 'mask_valu'.*mask_value"):
        Masking(mask_valu=1.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'axis'"):
        Identity(axis=1)
