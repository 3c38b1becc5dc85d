"""SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout and
ActivityRegularization: formulas and statistics (their noise is random), training-only
behaviour, Keras configs (fixtures/make_fixtures.py) and errors."""

import json
import math
import pathlib

import pytest
import torch

import lamina
from lamina.layers.regularization.activity_regularization import ActivityRegularization
from lamina.layers.regularization.alpha_dropout import AlphaDropout
from lamina.layers.regularization.gaussian_dropout import GaussianDropout
from lamina.layers.regularization.gaussian_noise import GaussianNoise
from lamina.layers.regularization.spatial_dropout import (SpatialDropout1D, SpatialDropout2D,
                                                          SpatialDropout3D)

CONFIGS = json.loads((pathlib.Path(__file__).parent / "fixtures" / "keras_regularization.json")
                     .read_text())["configs"]
CLASSES = {cls.__name__: cls for cls in (SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
                                         GaussianNoise, GaussianDropout, AlphaDropout,
                                         ActivityRegularization)}
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


@pytest.mark.parametrize("layer, shape, channel_axis", [
    (SpatialDropout1D(0.5), (8, 20, 6), 2),
    (SpatialDropout2D(0.5), (8, 5, 5, 6), 3),
    (SpatialDropout2D(0.5, data_format="channels_first"), (8, 6, 5, 5), 1),
    (SpatialDropout3D(0.5), (4, 3, 3, 3, 6), 4),
    (SpatialDropout3D(0.5, data_format="channels_first"), (4, 6, 3, 3, 3), 1),
])
def test_spatial_dropout_drops_whole_channels(layer, shape, channel_axis):
    x = torch.ones(shape)
    y = layer(x, training=True)
    assert set(y.unique().tolist()) <= {0.0, 2.0}  # kept values scaled by 1 / (1 - rate)
    per_channel = y.movedim(channel_axis, -1).reshape(shape[0], -1, shape[channel_axis])
    # Every (sample, channel) map is either all dropped or all kept.
    assert torch.all(per_channel.amin(1) == per_channel.amax(1))
    assert 0 < (per_channel[:, 0] == 0).float().mean() < 1
    assert torch.equal(layer(x), x) and torch.equal(layer(x, training=False), x)


def test_gaussian_noise_adds_noise_of_the_given_stddev_in_training_only():
    layer = GaussianNoise(0.5, seed=3)
    x = torch.full((200, 100), 2.0)
    noise = layer(x, training=True) - x
    assert abs(noise.mean().item()) < 0.01 and abs(noise.std().item() - 0.5) < 0.01
    assert torch.equal(layer(x), x)


def test_gaussian_dropout_multiplies_by_noise_of_mean_one():
    rate = 0.3
    layer = GaussianDropout(rate)
    x = torch.full((200, 100), 3.0)
    factor = layer(x, training=True) / x
    assert abs(factor.mean().item() - 1) < 0.01
    assert abs(factor.std().item() - math.sqrt(rate / (1 - rate))) < 0.01
    assert torch.equal(layer(x, training=False), x)


def test_alpha_dropout_formula_and_self_normalisation():
    rate = 0.2
    layer = AlphaDropout(rate, seed=1)
    x = torch.randn(400, 250)
    y = layer(x, training=True)
    saturation = -SELU_ALPHA * SELU_SCALE
    a = ((1 - rate) * (1 + rate * saturation ** 2)) ** -0.5
    b = -a * saturation * rate
    kept = torch.isclose(y, a * x + b)
    dropped = torch.isclose(y, torch.full_like(y, a * saturation + b))
    assert torch.all(kept | dropped)
    assert abs(dropped.float().mean().item() - rate) < 0.01
    # Zero mean and unit variance survive (what the affine correction is for).
    assert abs(y.mean().item()) < 0.02 and abs(y.var().item() - 1) < 0.03
    assert torch.equal(layer(x), x)


def test_alpha_dropout_noise_shape_shares_decisions():
    layer = AlphaDropout(0.5, noise_shape=(None, 1, 4))
    y = layer(torch.zeros(6, 7, 4), training=True)
    assert torch.all(y.amin(1) == y.amax(1))


def test_seeded_noise_layers_repeat_their_noise():
    x = torch.zeros(3, 4)
    for make in (lambda: GaussianNoise(0.1, seed=5), lambda: GaussianDropout(0.1, seed=5),
                 lambda: AlphaDropout(0.3, seed=5), lambda: SpatialDropout1D(0.5, seed=5)):
        first, second = make(), make()
        x = torch.ones(3, 4, 5)
        torch.testing.assert_close(first(x, training=True), second(x, training=True))


def test_activity_regularization_adds_the_penalty_on_every_call():
    layer = ActivityRegularization(l1=0.1, l2=0.01)
    x = torch.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert torch.equal(layer(x), x)
    expected = (0.1 * x.abs().sum() + 0.01 * x.square().sum()) / 2  # divided by batch size
    torch.testing.assert_close(layer.losses[0], expected)
    assert len(layer.losses) == 1  # replaced, not accumulated, by the next call


def test_activity_regularization_loss_joins_the_training_loss():
    inputs = lamina.Input((2,))
    outputs = ActivityRegularization(l2=1.0)(inputs)
    model = lamina.Model(inputs, outputs)
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    model(x)
    torch.testing.assert_close(sum(model.losses), x.square().sum() / 2)


@pytest.mark.parametrize("layer", [
    SpatialDropout2D(0.3), GaussianNoise(0.2), GaussianDropout(0.2), AlphaDropout(0.2),
])
def test_gradients_flow_in_training(layer):
    x = torch.ones(2, 3, 3, 4, requires_grad=True)
    layer(x, training=True).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


@pytest.mark.parametrize("shape", [(None, 5, 3), (None, 4, 4, 3), (None, 2, 2, 2, 3)])
def test_symbolic_shapes(shape):
    rank = len(shape) - 2
    spatial = {1: SpatialDropout1D, 2: SpatialDropout2D, 3: SpatialDropout3D}[rank](0.5)
    for layer in (spatial, GaussianNoise(0.1), GaussianDropout(0.1), AlphaDropout(0.1),
                  ActivityRegularization(l1=0.1)):
        assert layer(lamina.Input(batch_shape=shape)).shape == shape


def test_configs_match_keras_and_round_trip():
    for name, keras_config in CONFIGS.items():
        cls = CLASSES[name]
        layer = cls() if name == "ActivityRegularization" else cls(
            keras_config.get("rate", keras_config.get("stddev")))
        config = json.loads(json.dumps(layer.get_config()))
        for key, value in keras_config.items():
            if key not in ("name", "dtype", "trainable"):
                assert config[key] == value, (name, key)
        clone = cls.from_config(config)
        assert json.loads(json.dumps(clone.get_config())) == config


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="between 0 and 1.*stddev=1.5"):
        GaussianNoise(1.5)
    with pytest.raises(ValueError, match="between 0 and 1.*rate=-0.1"):
        AlphaDropout(-0.1)
    with pytest.raises(ValueError, match="Expected a float value between 0 and 1"):
        SpatialDropout2D(2.0)
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        SpatialDropout2D(0.5)(torch.zeros(2, 3, 4), training=True)
