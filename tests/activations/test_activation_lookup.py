"""activations.get / serialize / deserialize, names and errors."""

import json
import pathlib

import pytest
import torch

import lamina.saving
from lamina import activations
from lamina.registry import object_registry

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "keras_activations.json").read_text()
)


def test_same_names_as_keras():
    assert object_registry.builtin_names("activations") == FIXTURE["names"]


def test_every_registered_name_is_exported():
    for name in FIXTURE["names"]:
        assert getattr(activations, name) is activations.get(name), name


def test_get_none_is_linear():
    assert activations.get(None) is activations.linear


def test_get_returns_callables_unchanged():
    assert activations.get(torch.relu) is torch.relu
    assert activations.get(activations.gelu) is activations.gelu


def test_aliases():
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu


def test_serialize_uses_the_canonical_name():
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.get("hard_swish")) == "hard_silu"


def test_round_trip_every_builtin():
    for name in FIXTURE["names"]:
        fn = activations.get(name)
        assert activations.deserialize(activations.serialize(fn)) is fn


def test_deserialize_keras_function_config():
    config = {"module": "keras.activations", "class_name": "function", "config": "relu",
              "registered_name": None}
    assert activations.deserialize(config) is activations.relu
    assert activations.get(config) is activations.relu


def test_custom_registered_activation_round_trip():
    @lamina.saving.register_keras_serializable(package="lamina_tests")
    def scaled_tanh(x):
        return 2 * torch.tanh(x)

    # Keras 3's form of a function (recorded from Keras 3.15.1's activations.serialize)
    keras_style = {"module": "builtins", "class_name": "function",
                   "config": "lamina_tests>scaled_tanh", "registered_name": "function"}
    assert activations.serialize(scaled_tanh) == keras_style
    assert activations.deserialize(keras_style) is scaled_tanh
    assert activations.deserialize("lamina_tests>scaled_tanh") is scaled_tanh  # a bare name too


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown activation function: 'rellu'.*relu6"):
        activations.get("rellu")


def test_lambda_cannot_be_serialized():
    with pytest.raises(ValueError, match="lambda"):
        activations.serialize(lambda x: x)


def test_uninterpretable_identifier():
    with pytest.raises((TypeError, ValueError), match="activation function"):
        activations.get(3)
