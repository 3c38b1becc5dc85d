"""ConvLSTM1D/2D/3D against Keras 3.15 (tests/fixtures/conv_lstm, recorded by its
make_fixture.py): outputs for fixed weights, weight names and shapes, count_params, get_config;
plus symbolic shapes, stateful runs, save/load and the errors users can hit."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina.layers.rnn import conv_lstm

FIXTURES = pathlib.Path(__file__).parents[2] / "fixtures" / "conv_lstm"
INDEX = json.loads((FIXTURES / "conv_lstm.json").read_text())["cases"]
ARRAYS = dict(np.load(FIXTURES / "conv_lstm.npz"))


def _make(name):
    case = INDEX[name]
    return getattr(conv_lstm, case["class_name"])(name=name, **case["kwargs"])


def _call_arguments(name):
    case = INDEX[name]
    kwargs = {}
    if "mask" in case["extras"]:
        kwargs["mask"] = torch.as_tensor(ARRAYS[f"{name}/mask"])
    if case["extras"].get("initial_state"):
        kwargs["initial_state"] = [torch.as_tensor(ARRAYS[f"{name}/state_{i}"]) for i in (0, 1)]
    return kwargs


def _built_with_keras_weights(name):
    layer = _make(name)
    layer.build(tuple(INDEX[name]["input_shape"]))
    layer.set_weights([ARRAYS[f"{name}/weight_{i}"] for i in range(len(layer.weights))])
    return layer


def _as_json(value):
    return json.loads(json.dumps(value, default=list))


@pytest.mark.parametrize("name", sorted(INDEX))
def test_outputs_match_keras(name):
    layer = _built_with_keras_weights(name)
    outputs = layer(torch.as_tensor(ARRAYS[f"{name}/input"]), **_call_arguments(name))
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    expected = INDEX[name]["output_shapes"]
    assert len(outputs) == len(expected)
    for i, output in enumerate(outputs):
        np.testing.assert_allclose(output.detach().numpy(), ARRAYS[f"{name}/output_{i}"],
                                   atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(INDEX))
def test_weights_params_and_config_match_keras(name):
    case = INDEX[name]
    layer = _make(name)
    layer(np.zeros(case["input_shape"], "float32"))  # built by a call, which also names paths
    assert [[w.path, list(w.shape)] for w in layer.weights] == case["weights"]
    assert layer.count_params() == case["count_params"]
    assert _as_json(layer.get_config()) == case["config"]
    rebuilt = type(layer).from_config(case["config"])
    assert _as_json(rebuilt.get_config()) == case["config"]


@pytest.mark.parametrize("name", sorted(INDEX))
def test_symbolic_call_gives_keras_shapes(name):
    case = INDEX[name]
    if case["extras"]:
        pytest.skip("mask / initial_state inputs: covered numerically above")
    layer = _make(name)
    outputs = layer(lamina.Input(shape=tuple(case["input_shape"][1:])))
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    assert [tuple(t.shape) for t in outputs] == [(None, *s[1:]) for s in case["output_shapes"]]
    assert layer.count_params() == case["count_params"]


def test_unknown_time_axis_is_fine_but_unknown_spatial_axes_are_not():
    x = lamina.Input(shape=(None, 6, 5, 2))
    assert tuple(conv_lstm.ConvLSTM2D(3, 3, return_sequences=True)(x).shape) == \
        (None, None, 4, 3, 3)
    with pytest.raises(ValueError, match="known spatial dimensions"):
        conv_lstm.ConvLSTM2D(3, 3)(lamina.Input(shape=(4, None, 5, 2)))


def test_wrong_rank_and_arguments_are_explained():
    with pytest.raises(ValueError, match="rank 5"):
        conv_lstm.ConvLSTM2D(2, 3)(np.zeros((1, 2, 4, 4), "float32"))
    with pytest.raises(ValueError, match="filters"):
        conv_lstm.ConvLSTM1D(0, 3)
    with pytest.raises(ValueError, match="dilation_rate"):
        conv_lstm.ConvLSTM1D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(TypeError, match="use_cudnn"):
        conv_lstm.ConvLSTM2D(2, 3, use_cudnn=False)


def test_a_per_pixel_mask_is_refused_with_an_explanation():
    model = lamina.Sequential([lamina.Input((3, 4, 4, 1)), lamina.layers.Masking(),
                               conv_lstm.ConvLSTM2D(2, 3, padding="same")])
    with pytest.raises(ValueError, match=r"mask of shape \(batch, timesteps\)"):
        model(np.ones((2, 3, 4, 4, 1), "float32"))


def test_stateful_continues_where_the_last_call_stopped():
    name = "2d_valid_last"
    x = torch.as_tensor(ARRAYS[f"{name}/input"])
    whole = _built_with_keras_weights(name)
    expected = whole(x).detach()
    config = {**INDEX[name]["config"], "stateful": True, "name": "stateful"}
    layer = conv_lstm.ConvLSTM2D.from_config(config)
    layer.build(tuple(x.shape))
    layer.set_weights(whole.get_weights())
    layer(x[:, :2])
    np.testing.assert_allclose(layer(x[:, 2:]).detach(), expected, atol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(layer(x).detach(), expected, atol=1e-6)


def test_dropout_masks_are_per_gate_and_fixed_over_time():
    layer = conv_lstm.ConvLSTM1D(2, 3, padding="same", dropout=0.5, recurrent_dropout=0.5,
                                 seed=1, return_sequences=True)
    x = torch.ones(2, 3, 4, 2)
    layer.build(tuple(x.shape))
    eval_output = layer(x)
    train_output = layer(x, training=True)
    assert not torch.allclose(eval_output, train_output)
    cell = layer.cell
    masks = cell.get_dropout_mask(x[:, 0])  # what a training call draws (then clears)
    assert len(masks) == 4 and all(m.shape == x[:, 0].shape for m in masks)
    assert set(torch.unique(torch.stack(masks)).tolist()) <= {0.0, 2.0}
    cell.reset_dropout_mask()
    # Input dropout only: the step projection equals convolving each gate's masked copy.
    projected = cell.project_inputs(x, training=True)
    masks = cell._dropout_mask
    for gate, mask in enumerate(masks):
        kernel = cell.kernel[..., gate * 2:(gate + 1) * 2]
        bias = cell.bias[gate * 2:(gate + 1) * 2]
        one = torch.nn.functional.conv1d((x[:, 1] * mask).movedim(-1, 1),
                                         kernel.permute(2, 1, 0), bias, padding=1)
        np.testing.assert_allclose(projected[:, 1, gate * 2:(gate + 1) * 2].detach(),
                                   one.detach(), atol=1e-6)
    cell.reset_dropout_mask()


def test_gradients_reach_every_weight():
    layer = conv_lstm.ConvLSTM2D(2, 2, padding="same", dropout=0.2, recurrent_dropout=0.2)
    layer(torch.randn(2, 3, 3, 3, 1), training=True).sum().backward()
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in layer.weights)


def test_keras_file_round_trip(tmp_path):
    name = "2d_first_backwards"
    case = INDEX[name]
    inputs = lamina.Input(shape=tuple(case["input_shape"][1:]))
    model = lamina.Model(inputs, _make(name)(inputs))
    model.layers[1].set_weights([ARRAYS[f"{name}/weight_{i}"] for i in range(3)])
    x = ARRAYS[f"{name}/input"]
    path = tmp_path / "conv_lstm.keras"
    model.save(path)
    loaded = lamina.saving.load_model(path)
    assert type(loaded.layers[1]) is conv_lstm.ConvLSTM2D
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)),
                               ARRAYS[f"{name}/output_0"], atol=1e-5)
