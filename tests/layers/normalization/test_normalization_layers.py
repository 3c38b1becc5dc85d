"""Normalization layers against Keras 3 (fixtures/make_fixtures.py), plus shapes, gradients,
configs and errors."""

import json
import math
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina.layers.normalization.batch_normalization import BatchNormalization
from lamina.layers.normalization.group_normalization import GroupNormalization
from lamina.layers.normalization.layer_normalization import LayerNormalization
from lamina.layers.normalization.rms_normalization import RMSNormalization
from lamina.layers.normalization.unit_normalization import UnitNormalization

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
FIXTURE = json.loads((FIXTURES / "keras_normalization.json").read_text())
DATA = np.load(FIXTURES / "keras_normalization.npz")["data"]
CLASSES = {cls.__name__: cls for cls in (BatchNormalization, GroupNormalization,
                                         LayerNormalization, RMSNormalization, UnitNormalization)}


def array(case, name):
    offset, shape = FIXTURE["index"][f"{case['id']}/{name}"]
    return DATA[offset:offset + math.prod(shape)].reshape(shape)


def build_like_keras(case):
    layer = CLASSES[case["layer"]](**case["kwargs"])
    layer(torch.as_tensor(array(case, "x0")))  # build (inference: no state change)
    layer.set_weights([array(case, f"w{i}") for i in range(case["weights"])])
    return layer


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["id"])
def test_matches_keras(case):
    layer = build_like_keras(case)
    mask = torch.as_tensor(array(case, "mask")).bool() if case["mask"] else None
    for step in range(case["steps"]):
        x = torch.as_tensor(array(case, f"x{step}"))
        y = layer(x, **case["call"], **({"mask": mask} if mask is not None else {}))
        np.testing.assert_allclose(y.detach().numpy(), array(case, f"y{step}"), atol=1e-5,
                                   rtol=1e-5, err_msg=f"step {step}")
    # After the training steps the moving statistics must be Keras's too.
    for i, weight in enumerate(layer.get_weights()):
        np.testing.assert_allclose(weight, array(case, f"final_w{i}"), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("case", [c for c in FIXTURE["cases"] if c["gradient"]],
                         ids=lambda c: c["id"])
def test_batch_norm_training_gradients_match_keras(case):
    layer = build_like_keras(case)
    x = torch.as_tensor(array(case, "x0")).requires_grad_(True)
    (layer(x, training=True) * torch.as_tensor(array(case, "r"))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), array(case, "g_x"), atol=1e-5, rtol=1e-4)
    for i, weight in enumerate(layer.trainable_weights):
        np.testing.assert_allclose(weight.grad.numpy(), array(case, f"g_w{i}"), atol=1e-5,
                                   rtol=1e-4)


def test_batch_norm_moving_statistics_use_the_biased_variance():
    layer = BatchNormalization(momentum=0.9)
    x = torch.randn(5, 3) * 2 + 1
    layer(x, training=True)
    expected_mean = 0.1 * x.mean(0)
    expected_variance = 0.9 + 0.1 * x.var(0, unbiased=False)  # torch would use unbiased=True
    torch.testing.assert_close(layer.moving_mean.detach(), expected_mean)
    torch.testing.assert_close(layer.moving_variance.detach(), expected_variance)


def test_batch_norm_frozen_layer_runs_in_inference_mode():
    layer = BatchNormalization()
    x = torch.randn(8, 3) * 4 + 2
    layer.build((None, 3))
    layer.trainable = False
    torch.testing.assert_close(layer(x, training=True), x / math.sqrt(1 + 1e-3))
    torch.testing.assert_close(layer.moving_mean.detach(), torch.zeros(3))  # not updated


def test_batch_norm_weights_and_trainability():
    layer = BatchNormalization()
    layer.build((None, 4, 4, 3))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    no_scale = BatchNormalization(scale=False, axis=1)
    no_scale(torch.zeros(2, 5, 3))
    assert [(w.name, tuple(w.shape)) for w in no_scale.weights] == [
        ("beta", (5,)), ("moving_mean", (5,)), ("moving_variance", (5,))]


def test_batch_norm_in_a_model_trains_moving_statistics_in_fit():
    model = lamina.Sequential([lamina.Input((3,)), BatchNormalization(), lamina.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.RandomState(0).randn(32, 3).astype("float32") * 2 + 5
    model.fit(x, x[:, :1], epochs=1, batch_size=8, verbose=0)
    moving_mean = model.layers[0].moving_mean.detach().numpy()
    assert np.all(moving_mean > 0.1)  # moved from 0 towards the data's mean of about 5
    before = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), before)  # inference: no update


@pytest.mark.parametrize("layer, shape", [
    (BatchNormalization(), (None, 7)),
    (BatchNormalization(axis=1), (None, 4, 5, 6)),
    (LayerNormalization(axis=[1, 2]), (None, 3, 4)),
    (GroupNormalization(groups=2), (None, 5, 4)),
    (UnitNormalization(axis=1), (None, 3, 4)),
    (RMSNormalization(), (None, 6)),
])
def test_output_shapes_symbolic_and_eager(layer, shape):
    assert lamina.Input(batch_shape=shape).shape == shape
    assert layer(lamina.Input(batch_shape=shape)).shape == shape
    concrete = tuple(2 if d is None else d for d in shape)
    assert tuple(layer(torch.randn(concrete)).shape) == concrete


@pytest.mark.parametrize("make", [
    lambda: BatchNormalization(center=False),
    lambda: LayerNormalization(axis=[1, 2]),
    lambda: GroupNormalization(groups=2),
    lambda: RMSNormalization(),
])
def test_gradients_reach_every_trainable_weight(make):
    layer = make()
    x = torch.randn(4, 3, 4)
    (layer(x, training=True) if isinstance(layer, BatchNormalization) else layer(x)).pow(3).sum(
    ).backward()
    assert layer.trainable_weights
    for weight in layer.trainable_weights:
        assert weight.grad is not None and weight.grad.abs().sum() > 0, weight.name


def test_layer_norm_rms_scaling_warns_and_scales_by_the_variance():
    with pytest.warns(UserWarning, match="RMSNormalization"):
        layer = LayerNormalization(rms_scaling=True)
    x = torch.randn(3, 5) + 2
    expected = x / torch.sqrt(x.var(-1, unbiased=False, keepdim=True) + 1e-3)
    torch.testing.assert_close(layer(x), expected)
    assert [w.name for w in layer.weights] == ["gamma"]


def test_rms_normalization_on_a_middle_axis_matches_the_formula():
    layer = RMSNormalization(axis=1, epsilon=0.01)
    x = torch.randn(2, 4, 3)
    layer(x)
    scale = torch.linspace(0.5, 1.5, 4)
    layer.set_weights([scale.numpy()])
    expected = x * torch.rsqrt(x.square().mean(1, keepdim=True) + 0.01) * scale[:, None]
    torch.testing.assert_close(layer(x), expected)


def test_configs_have_keras_keys_and_defaults():
    for name, keras_config in FIXTURE["configs"].items():
        config = CLASSES[name]().get_config()
        for key, value in keras_config.items():
            if key in ("name", "dtype"):
                continue
            assert key in config, (name, key)
            if not isinstance(value, dict):
                assert config[key] == value, (name, key)
            else:
                assert config[key]["class_name"] == value["class_name"], (name, key)


@pytest.mark.parametrize("layer", [
    BatchNormalization(axis=1, momentum=0.9, center=False, gamma_regularizer="l2"),
    LayerNormalization(axis=[1, 2], epsilon=0.1, scale=False),
    GroupNormalization(groups=4, axis=1),
    UnitNormalization(axis=[1, 2]),
    RMSNormalization(epsilon=1e-5),
])
def test_config_round_trip(layer):
    layer(torch.randn(2, 4, 4, 4))
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert {k: v for k, v in clone.get_config().items() if k != "name"} == {
        k: v for k, v in config.items() if k != "name"}
    json.dumps(config)


def test_bad_arguments_and_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="cannot split 6 channels.*multiple of `groups`"):
        GroupNormalization(groups=4)(torch.zeros(2, 6))
    with pytest.raises(ValueError, match="positive integer, or -1.*groups=0"):
        GroupNormalization(groups=0)
    with pytest.raises(ValueError, match="axis 3 is out of bounds for an input of rank 2"):
        LayerNormalization(axis=3)(torch.zeros(2, 6))
    with pytest.raises(TypeError, match="one integer.*LayerNormalization"):
        BatchNormalization(axis=[1, 2])
    with pytest.raises(TypeError, match="unexpected keyword argument 'momentun'.*momentum"):
        BatchNormalization(momentun=0.9)
    layer = BatchNormalization()
    layer(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3"):
        layer(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="mask with one dimension less"):
        layer(torch.zeros(2, 3), mask=torch.ones(2, 3, dtype=torch.bool), training=True)


def test_masked_batch_norm_passes_the_mask_on():
    x = torch.randn(2, 4, 3)
    x._keras_mask = torch.tensor([[True, True, False, False], [True, False, True, True]])
    y = BatchNormalization()(x, training=True)
    assert torch.equal(y._keras_mask, x._keras_mask)
