"""Convolution layers: shapes, weight layout, config round trips, torch integration, errors."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lamina
from lamina.layers import convolutional as conv
from lamina.registry import serialization


def _instances():
    return [
        conv.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu"),
        conv.Conv2D(6, (3, 2), strides=2, padding="same", groups=3, use_bias=False,
                    kernel_regularizer="l2", data_format="channels_first"),
        conv.Conv3D(2, 2, kernel_initializer="he_normal", bias_constraint="non_neg"),
        conv.Conv1DTranspose(3, 4, strides=2, padding="same"),
        conv.Conv2DTranspose(3, 3, strides=2, output_padding=1, activation="tanh"),
        conv.Conv3DTranspose(2, 2, strides=(1, 2, 2), padding="same",
                             data_format="channels_first"),
        conv.DepthwiseConv1D(3, depth_multiplier=2, depthwise_regularizer="l1"),
        conv.DepthwiseConv2D((3, 3), strides=2, padding="same", activation="relu6"),
        conv.SeparableConv1D(5, 3, depth_multiplier=2, pointwise_initializer="ones"),
        conv.SeparableConv2D(4, 3, padding="same", activity_regularizer="l2"),
    ]


@pytest.mark.parametrize("layer", _instances(), ids=lambda layer: type(layer).__name__)
def test_config_round_trip_is_json_and_stable(layer):
    config = layer.get_config()
    json.dumps(config)
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    rebuilt = serialization.deserialize_layer(json.loads(json.dumps(
        serialization.serialize_layer(layer))))
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == config


@pytest.mark.parametrize("layer", _instances(), ids=lambda layer: type(layer).__name__)
def test_eager_and_symbolic_shapes_agree_for_several_inputs(layer):
    rank = layer.rank
    for spatial in [(9,) * rank, (6, 7, 8)[:rank], (10, 5, 4)[:rank]]:
        channels = 6 if isinstance(layer, conv.Conv2D) else 2
        if layer.data_format == "channels_first":
            shape = (2, channels) + spatial
        else:
            shape = (2,) + spatial + (channels,)
        fresh = type(layer).from_config(layer.get_config())
        eager = tuple(fresh(torch.randn(shape)).shape)
        assert fresh.compute_output_shape(shape) == eager
        symbolic_input = lamina.Input(batch_shape=(None,) + shape[1:])
        symbolic = type(layer).from_config(layer.get_config())(symbolic_input)
        assert tuple(symbolic.shape) == (None,) + eager[1:]


def test_unknown_spatial_sizes_stay_unknown():
    out = conv.Conv2D(8, 3, strides=2, padding="same")(lamina.Input(shape=(None, 12, 3)))
    assert tuple(out.shape) == (None, None, 6, 8)
    out = conv.Conv2DTranspose(8, 3, strides=2, padding="same")(lamina.Input(shape=(None, 5, 3)))
    assert tuple(out.shape) == (None, None, 10, 8)


def test_conv2d_same_stride2_differs_from_torch_symmetric_padding():
    """Keras pads (0, 1) here; torch's padding=1 would shift every window by one pixel."""
    layer = conv.Conv2D(1, 3, strides=2, padding="same", use_bias=False)
    x = torch.randn(1, 6, 6, 1)
    y = layer(x)
    weight = layer.kernel.detach().permute(3, 2, 0, 1)
    expected = F.conv2d(F.pad(x.permute(0, 3, 1, 2), (0, 1, 0, 1)), weight, stride=2)
    torch.testing.assert_close(y.permute(0, 3, 1, 2), expected)
    assert not torch.allclose(expected, F.conv2d(x.permute(0, 3, 1, 2), weight, stride=2,
                                                 padding=1))


def test_causal_output_never_sees_the_future():
    layer = conv.Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = torch.randn(1, 10, 3)
    y = layer(x)
    x_changed = x.clone()
    x_changed[:, 6:] += 1.0
    torch.testing.assert_close(layer(x_changed)[:, :6], y[:, :6])


def test_channels_last_input_gives_contiguous_output_without_copies():
    y = conv.Conv2D(4, 3, padding="same")(torch.randn(2, 8, 8, 3))
    assert y.is_contiguous()


def test_keras_weight_layouts():
    layer = conv.Conv2D(5, (3, 2), groups=1)
    layer.build((None, 8, 8, 4))
    assert [tuple(w.shape) for w in layer.weights] == [(3, 2, 4, 5), (5,)]
    transpose = conv.Conv2DTranspose(5, 3)
    transpose.build((None, 8, 8, 4))
    assert tuple(transpose.kernel.shape) == (3, 3, 5, 4)  # filters before input channels
    depthwise = conv.DepthwiseConv2D(3, depth_multiplier=2)
    depthwise.build((None, 8, 8, 4))
    assert [tuple(w.shape) for w in depthwise.weights] == [(3, 3, 4, 2), (8,)]
    separable = conv.SeparableConv1D(7, 3, depth_multiplier=2)
    separable.build((None, 8, 4))
    assert [w.name for w in separable.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [tuple(w.shape) for w in separable.weights] == [(3, 4, 2), (1, 8, 7), (7,)]


def test_depthwise_output_channel_order_is_channel_major():
    """Output channel c * depth_multiplier + m is filter m of input channel c."""
    layer = conv.DepthwiseConv1D(1, depth_multiplier=2, use_bias=False)
    layer.build((None, 4, 3))
    kernel = np.arange(6, dtype="float32").reshape(1, 3, 2) + 1
    layer.set_weights([kernel])
    x = np.ones((1, 4, 3), dtype="float32") * np.array([1.0, 10.0, 100.0], dtype="float32")
    y = layer(x).detach().numpy()[0, 0]
    np.testing.assert_allclose(y, [1, 2, 30, 40, 500, 600])


def test_regularizer_losses_and_constraints_are_attached():
    layer = conv.Conv2D(2, 3, kernel_regularizer=lamina.regularizers.L2(0.5),
                        kernel_constraint="non_neg")
    layer(torch.randn(1, 5, 5, 1))
    kernel = layer.kernel.detach()
    torch.testing.assert_close(layer.losses[0], 0.5 * (kernel ** 2).sum())
    assert layer.kernel.constraint is not None


def test_conv_layers_train_in_a_model():
    torch.manual_seed(0)
    model = lamina.Sequential([
        lamina.Input(shape=(8, 8, 1)),
        conv.Conv2D(4, 3, padding="same", activation="relu"),
        conv.SeparableConv2D(4, 3, strides=2, padding="same", activation="relu"),
        conv.Conv2DTranspose(2, 3, strides=2, padding="same"),
    ])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((16, 8, 8, 1), dtype=np.float32)
    y = np.concatenate([x, -x], axis=-1)
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("make, message", [
    (lambda: conv.Conv2D(0, 3), r"`filters`.*strictly positive.*filters=0"),
    (lambda: conv.Conv2D(4, 3, groups=3), r"filters must be evenly divisible.*groups=3"),
    (lambda: conv.Conv2D(4, (3, 3, 3)), r"`kernel_size`.*tuple of 2 integers"),
    (lambda: conv.Conv2D(4, 3, strides=0), r"`strides`.*> 0"),
    (lambda: conv.Conv2D(4, 3, padding="full"), r"padding.*'valid', 'same'.*'full'"),
    (lambda: conv.Conv2D(4, 3, padding="causal"), r"padding.*Received: padding='causal'"),
    (lambda: conv.Conv1D(4, 3, strides=2, dilation_rate=2), r"strides > 1.*dilation_rate > 1"),
    (lambda: conv.Conv2DTranspose(4, 3, strides=2, output_padding=2),
     r"output_padding.*strictly less than.*strides"),
    (lambda: conv.DepthwiseConv2D(3, depth_multiplier=0), r"depth_multiplier"),
    (lambda: conv.Conv2D(4, 3, data_format="NHWC"), r"data_format"),
])
def test_bad_arguments_are_rejected_with_a_hint(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_misspelt_keyword_suggests_the_right_one():
    with pytest.raises(TypeError, match=r"'kernal_size'.*Did you mean 'kernel_size'"):
        conv.Conv2D(4, kernal_size=3)


def test_bad_inputs_are_rejected_with_the_expected_shape():
    layer = conv.Conv2D(4, 3)
    layer(torch.randn(1, 8, 8, 3))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3"):
        layer(torch.randn(1, 8, 8, 5))
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3"):
        conv.Conv2D(4, 3)(torch.randn(8, 8, 3))
    with pytest.raises(ValueError, match=r"output size would be zero or negative"):
        conv.Conv2D(4, 5)(lamina.Input(shape=(3, 8, 2)))
    with pytest.raises(ValueError, match=r"input channels must be evenly divisible.*groups=2"):
        conv.Conv1D(4, 3, groups=2)(torch.randn(1, 8, 3))
    with pytest.raises(ValueError, match=r"number of input channels.*None"):
        conv.Conv2D(4, 3)(lamina.Input(shape=(8, 8, None)))


def test_numpy_integers_are_accepted_as_sizes():
    layer = conv.Conv2D(np.int64(4), np.int32(3), strides=(np.int64(1), 2))
    assert (layer.filters, layer.kernel_size, layer.strides) == (4, (3, 3), (1, 2))
    json.dumps(layer.get_config())
