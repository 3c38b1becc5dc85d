"""Pooling layers: defaults, shapes, aliases, config round trips, legacy keywords, errors."""

import importlib
import json

import numpy as np
import pytest
import torch

import lamina
from lamina.layers import pooling
from lamina.registry import serialization

ALIASES = {
    "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
    "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D", "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D", "GlobalMaxPool3D": "GlobalMaxPooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D",
}


def test_aliases_are_the_same_classes_and_registered():
    for alias, name in ALIASES.items():
        assert getattr(pooling, alias) is getattr(pooling, name)
        layer = serialization.deserialize_layer({"class_name": alias, "config": {"pool_size": 2}}
                                                if "Avg" in alias and "Global" not in alias
                                                else {"class_name": alias, "config": {}})
        assert type(layer) is getattr(pooling, name)


def test_keras_defaults():
    layer = pooling.MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert pooling.MaxPooling1D(3).strides == (3,)
    assert pooling.AveragePooling3D(2, strides=1).strides == (1, 1, 1)
    with pytest.raises(TypeError, match=r"missing required argument: 'pool_size'"):
        pooling.AveragePooling2D()


@pytest.mark.parametrize("layer", [
    pooling.MaxPooling1D(3, strides=2, padding="same"),
    pooling.AveragePooling2D((3, 2), strides=(2, 1), padding="same",
                             data_format="channels_first"),
    pooling.MaxPooling3D(padding="same"),
    pooling.GlobalAveragePooling1D(keepdims=True),
    pooling.GlobalMaxPooling2D(data_format="channels_first"),
    pooling.GlobalAveragePooling3D(),
], ids=lambda layer: type(layer).__name__)
def test_config_round_trip_and_shapes_for_several_inputs(layer):
    config = layer.get_config()
    clone = serialization.deserialize_layer(json.loads(json.dumps(
        serialization.serialize_layer(layer))))
    assert type(clone) is type(layer) and clone.get_config() == config
    rank = layer.rank
    for spatial in [(7,) * rank, (4, 9, 6)[:rank], (1, 2, 3)[:rank]]:
        shape = (2, 3) + spatial if layer.data_format == "channels_first" else (2,) + spatial + (3,)
        eager = tuple(layer(torch.randn(shape)).shape)
        assert layer.compute_output_shape(shape) == eager
        symbolic = layer(lamina.Input(batch_shape=(None,) + shape[1:]))
        assert tuple(symbolic.shape) == (None,) + eager[1:]


def test_same_average_pooling_excludes_padding():
    """6x6, window 3, stride 2: Keras pads (0, 1), so windows start at 0, 2, 4 and the last one
    covers 2x2 real pixels plus padding, which must not dilute the mean."""
    x = torch.arange(36, dtype=torch.float32).reshape(1, 6, 6, 1)
    y = pooling.AveragePooling2D(3, strides=2, padding="same")(x)
    assert tuple(y.shape) == (1, 3, 3, 1)
    torch.testing.assert_close(y[0, 2, 2, 0], x[0, 4:6, 4:6, 0].mean())
    torch.testing.assert_close(y[0, 0, 0, 0], x[0, 0:3, 0:3, 0].mean())


def test_same_max_pooling_ignores_padding_of_negative_inputs():
    x = -torch.ones(1, 5, 1) * torch.arange(1, 6, dtype=torch.float32).reshape(1, 5, 1)
    y = pooling.MaxPooling1D(2, strides=2, padding="same")(x)
    torch.testing.assert_close(y.flatten(), torch.tensor([-1.0, -3.0, -5.0]))


def test_global_average_pooling_1d_mask_leaves_out_padded_steps():
    x = torch.tensor([[[1.0], [3.0], [100.0]]])
    mask = torch.tensor([[True, True, False]])
    torch.testing.assert_close(pooling.GlobalAveragePooling1D()(x, mask=mask),
                               torch.tensor([[2.0]]))


def test_pooling_in_a_model_keeps_channels_last_layout():
    model = lamina.Sequential([lamina.Input(shape=(8, 8, 3)), pooling.MaxPooling2D(),
                               pooling.AveragePooling2D(2), pooling.GlobalMaxPooling2D()])
    x = np.random.default_rng(0).random((2, 8, 8, 3), dtype=np.float32)
    expected = x.reshape(2, 4, 2, 4, 2, 3).max(axis=(2, 4))
    expected = expected.reshape(2, 2, 2, 2, 2, 3).mean(axis=(2, 4)).max(axis=(1, 2))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)


def test_keras1_keywords_are_renamed_with_a_warning():
    with pytest.warns(DeprecationWarning) as record:
        layer = pooling.MaxPooling1D(pool_length=3, stride=1, border_mode="same")
    messages = " ".join(str(w.message) for w in record)
    assert "`pool_length`" in messages and "`pool_size`" in messages
    assert layer.pool_size == (3,) and layer.strides == (1,) and layer.padding == "same"
    with pytest.warns(DeprecationWarning, match="dim_ordering"):
        layer = pooling.GlobalAveragePooling2D(dim_ordering="th")
    assert layer.data_format == "channels_first"


def test_keras2_module_path():
    module = importlib.import_module("lamina.layers.pooling")
    assert module.GlobalAvgPool2D is module.GlobalAveragePooling2D


@pytest.mark.parametrize("make, error, message", [
    (lambda: pooling.MaxPooling2D(padding="causal"), ValueError, r"padding.*'causal'"),
    (lambda: pooling.MaxPooling2D((2, 2, 2)), ValueError, r"`pool_size`.*tuple of 2 integers"),
    (lambda: pooling.AveragePooling1D(2, strides=0), ValueError, r"`strides`.*> 0"),
    (lambda: pooling.MaxPooling2D(pool_sise=3), TypeError, r"Did you mean 'pool_size'"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3"):
        pooling.MaxPooling2D()(torch.randn(4, 4, 3))
    with pytest.raises(ValueError, match=r"output size would be zero or negative"):
        pooling.MaxPooling2D(3)(lamina.Input(shape=(2, 8, 1)))
    with pytest.raises(ValueError, match=r"expected ndim=3"):
        pooling.GlobalAveragePooling1D()(lamina.Input(shape=(4, 4, 3)))
