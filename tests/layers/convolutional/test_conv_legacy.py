"""Old names and Keras 1 call forms of the convolution layers."""

import importlib

import pytest
import torch

from lamina import initializers, regularizers
from lamina.layers import convolutional as conv
from lamina.registry import serialization


def test_keras3_aliases_are_the_same_classes_and_silent():
    assert conv.Convolution1D is conv.Conv1D
    assert conv.Convolution2DTranspose is conv.Conv2DTranspose
    assert conv.SeparableConvolution1D is conv.SeparableConv1D
    # Keras 3 arguments through the old names: no warning (warnings are errors in tests).
    layer = conv.Convolution2D(8, (3, 3), strides=2, padding="same")
    assert type(layer) is conv.Conv2D and layer.strides == (2, 2)
    assert type(conv.SeparableConvolution2D(4, 3)) is conv.SeparableConv2D


def test_keras1_convolution2d_call_form():
    with pytest.warns(DeprecationWarning) as record:
        layer = conv.Convolution2D(64, 3, 3, border_mode="same", subsample=(2, 2),
                                   init="he_normal", W_regularizer=regularizers.L2(0.1),
                                   b_regularizer="l1", bias=True, dim_ordering="th",
                                   activation="relu")
    messages = " ".join(str(w.message) for w in record)
    for old, new in [("border_mode", "padding"), ("subsample", "strides"),
                     ("init", "kernel_initializer"), ("W_regularizer", "kernel_regularizer"),
                     ("dim_ordering", "data_format")]:
        assert f"`{old}`" in messages and f"`{new}`" in messages
    assert "kernel_size=(3, 3)" in messages
    assert type(layer) is conv.Conv2D
    assert layer.kernel_size == (3, 3) and layer.strides == (2, 2) and layer.padding == "same"
    assert layer.data_format == "channels_first"
    assert isinstance(layer.kernel_initializer, initializers.HeNormal)
    assert isinstance(layer.kernel_regularizer, regularizers.L2)
    assert tuple(layer(torch.randn(1, 3, 8, 8)).shape) == (1, 64, 4, 4)


def test_conv2d_keeps_the_keras3_meaning_of_three_positional_numbers():
    layer = conv.Conv2D(64, 3, 3)  # Keras 3: the third argument is strides
    assert layer.kernel_size == (3, 3) and layer.strides == (3, 3)


def _messages(record):
    return " ".join(str(w.message) for w in record)


def test_keras1_keywords_for_kernel_size_and_1d_input():
    with pytest.warns(DeprecationWarning) as record:
        layer = conv.Conv2D(nb_filter=4, nb_row=2, nb_col=3)
    assert "`nb_row/nb_col`" in _messages(record) and "`nb_filter`" in _messages(record)
    assert layer.filters == 4 and layer.kernel_size == (2, 3)
    with pytest.warns(DeprecationWarning) as record:
        layer = conv.Convolution1D(nb_filter=4, filter_length=3, subsample_length=2,
                                   input_dim=5, input_length=10)
    assert "`filter_length`" in _messages(record) and "input_shape" in _messages(record)
    assert layer.kernel_size == (3,) and layer.strides == (2,)
    assert layer._batch_input_shape == (None, 10, 5)
    with pytest.warns(DeprecationWarning):
        layer = conv.Convolution3D(4, 3, 3, 2, subsample=(1, 2, 2))
    assert layer.kernel_size == (3, 3, 2) and layer.strides == (1, 2, 2)
    with pytest.warns(DeprecationWarning) as record:
        layer = conv.SeparableConvolution2D(4, 3, 3, init="ones", depth_multiplier=2)
    assert "`depthwise_initializer` and `pointwise_initializer`" in _messages(record)
    assert isinstance(layer.pointwise_initializer, initializers.Ones)


def test_deconvolution_names_warn_and_drop_output_shape():
    with pytest.warns(DeprecationWarning) as record:
        layer = conv.Deconvolution2D(3, 3, 3, (None, 14, 14, 3), subsample=(2, 2),
                                     border_mode="same")
    messages = " ".join(str(w.message) for w in record)
    assert "use `Conv2DTranspose`" in messages and "`output_shape`" in messages
    assert type(layer) is conv.Conv2DTranspose and layer.strides == (2, 2)
    assert tuple(layer(torch.randn(1, 7, 7, 2)).shape) == (1, 14, 14, 3)
    with pytest.warns(DeprecationWarning, match="use `Conv3DTranspose`"):
        assert type(conv.Deconv3D(2, 3)) is conv.Conv3DTranspose


def test_keras1_form_with_extra_positionals_is_an_error():
    with pytest.raises(TypeError, match=r"other arguments must be keywords"):
        conv.Convolution2D(8, 3, 3, "glorot_uniform")


def test_old_class_names_deserialize_to_modern_layers():
    layer = serialization.deserialize_layer(
        {"class_name": "Convolution2D", "config": {"filters": 2, "kernel_size": [3, 3]}})
    assert type(layer) is conv.Conv2D
    with pytest.warns(DeprecationWarning):
        layer = serialization.deserialize_layer(
            {"class_name": "Deconvolution2D", "config": {"filters": 2, "kernel_size": 3}})
    assert type(layer) is conv.Conv2DTranspose


def test_keras2_module_path_exports_conv_and_pooling_layers():
    module = importlib.import_module("lamina.layers.convolutional")
    for name in ["Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "SeparableConv2D",
                 "DepthwiseConv2D", "MaxPooling2D", "AveragePooling2D"]:
        assert isinstance(getattr(module, name), type)
    with pytest.raises(AttributeError, match="has no attribute 'Conv4D'"):
        module.Conv4D
