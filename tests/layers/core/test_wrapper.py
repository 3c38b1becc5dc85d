"""Wrapper: Keras's base class of layer wrappers (config, building, the wrapped layer)."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina import layers

CONFIGS = json.loads((pathlib.Path(__file__).parents[2] / "fixtures" / "keras_api_more" /
                      "keras_api_more.json").read_text())


class Twice(layers.Wrapper):
    def call(self, inputs):
        return self.layer(self.layer(inputs))


def test_config_has_keras_keys_and_the_nested_layer():
    wrapper = layers.Wrapper(layers.Dense(2, name="inner"), name="wrap")
    config = wrapper.get_config()
    keras = CONFIGS["wrapper/config"]
    assert set(config) == set(keras)
    assert {k: config[k] for k in ("name", "trainable", "dtype")} == \
        {k: keras[k] for k in ("name", "trainable", "dtype")}
    assert (config["layer"]["class_name"], config["layer"]["config"]["name"]) == ("Dense", "inner")


def test_from_keras_config_rebuilds_the_wrapped_layer():
    wrapper = layers.Wrapper.from_config(CONFIGS["wrapper/config"])
    assert isinstance(wrapper.layer, layers.Dense) and wrapper.layer.units == 2
    assert wrapper.name == "wrap"


def test_build_builds_the_wrapped_layer_and_subclasses_override_call():
    twice = Twice(layers.Dense(3, use_bias=False))
    twice.build((None, 3))
    assert twice.layer.built and len(twice.weights) == 1
    x = torch.randn(2, 3)
    kernel = twice.layer.kernel.detach()
    torch.testing.assert_close(twice(x), x @ kernel @ kernel)


def test_base_wrapper_applies_the_layer():
    wrapper = layers.Wrapper(layers.Dense(2))
    x = np.ones((1, 4), "float32")
    torch.testing.assert_close(wrapper(x), wrapper.layer(x))


def test_only_layers_can_be_wrapped():
    with pytest.raises(ValueError, match="wraps a lamina layer instance"):
        layers.Wrapper(torch.nn.Linear(2, 2))


def test_model_round_trip(tmp_path):
    inputs = lamina.Input((3,))
    model = lamina.Model(inputs, layers.Wrapper(layers.Dense(2))(inputs))
    model.save(tmp_path / "m.keras")
    again = lamina.models.load_model(tmp_path / "m.keras")
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
