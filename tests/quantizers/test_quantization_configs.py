"""Quantizers and quantization configs serialize as Keras 3.15 serializes them (recorded by
tests/fixtures/more_namespaces/make_quantizers_fixture.py), and read those configs back."""

import json
import pathlib

import pytest

from lamina import quantizers

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "more_namespaces"
KERAS = json.loads((FIXTURES / "quantizers.json").read_text())


def objects():
    return {
        "abs_max_quantizer": quantizers.AbsMaxQuantizer(),
        "abs_max_quantizer_axis": quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7)),
        "int8_config": quantizers.Int8QuantizationConfig(),
        "int8_config_weights": quantizers.Int8QuantizationConfig(
            weight_quantizer=quantizers.AbsMaxQuantizer(axis=0), activation_quantizer=None),
        "int4_config": quantizers.Int4QuantizationConfig(),
        "int4_config_per_channel": quantizers.Int4QuantizationConfig(
            weight_quantizer=quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7)),
            block_size=None),
        "float8_config": quantizers.Float8QuantizationConfig(),
        "gptq_config": quantizers.GPTQConfig(None, None, weight_bits=3, group_size=-1),
        "awq_config": quantizers.AWQConfig(None, None, num_grid_points=5),
    }


def as_json(config):
    return json.loads(json.dumps(config))


@pytest.mark.parametrize("name", sorted(KERAS["serialized"]))
def test_serialized_configs_equal_keras(name):
    assert as_json(quantizers.serialize(objects()[name])) == KERAS["serialized"][name]


@pytest.mark.parametrize("name", sorted(KERAS["serialized"]))
def test_keras_configs_deserialize_to_equal_objects(name):
    obj = quantizers.deserialize(KERAS["serialized"][name])
    assert type(obj) is type(objects()[name])
    assert as_json(quantizers.serialize(obj)) == KERAS["serialized"][name]
    if callable(obj):  # as in Keras, get() returns quantizers, which are callable
        assert quantizers.get(KERAS["serialized"][name]).get_config() == obj.get_config()


def test_modes_and_dtype_policy_strings_equal_keras():
    built = objects()
    assert {name: built[name].mode for name in KERAS["modes"]} == KERAS["modes"]
    assert {name: built[name].dtype_policy_string()
            for name in KERAS["policy_strings"]} == KERAS["policy_strings"]


def test_get_takes_class_names_in_both_spellings():
    assert isinstance(quantizers.get("AbsMaxQuantizer"), quantizers.AbsMaxQuantizer)
    quantizer = quantizers.get("abs_max_quantizer", value_range=(-8, 7))
    assert quantizer.value_range == (-8, 7)
    assert isinstance(quantizers.get("int8_quantization_config"),
                      quantizers.Int8QuantizationConfig)
    same = quantizers.AbsMaxQuantizer()
    assert quantizers.get(same) is same and quantizers.get(None) is None
    with pytest.raises(ValueError, match="Could not interpret quantizer identifier: 'nope'"):
        quantizers.get("nope")


def test_the_base_classes_say_what_to_use_instead():
    with pytest.raises(NotImplementedError, match="get_config"):
        quantizers.Quantizer().get_config()
    x = object()
    assert quantizers.Quantizer()(x) is x
    with pytest.raises(NotImplementedError, match="Int8QuantizationConfig"):
        quantizers.QuantizationConfig().mode


def test_default_quantizers_follow_keras():
    config = quantizers.QuantizationConfig
    default = quantizers.AbsMaxQuantizer()
    assert config.weight_quantizer_or_default(None, default) is default
    assert config.activation_quantizer_or_default(None, default) is default
    weight_only = quantizers.Int8QuantizationConfig(activation_quantizer=None)
    assert config.activation_quantizer_or_default(weight_only, default) is None
    assert config.weight_quantizer_or_default(weight_only, default) is default
    assert quantizers.Int4QuantizationConfig().activation_quantizer is None


@pytest.mark.parametrize("build, message", [
    (lambda: quantizers.AbsMaxQuantizer(value_range=(-200, 100)), r"within \[-128, 127\]"),
    (lambda: quantizers.Int8QuantizationConfig(
        weight_quantizer=quantizers.AbsMaxQuantizer(output_dtype="int16")),
     "output_dtype='int8'"),
    (lambda: quantizers.Int4QuantizationConfig(block_size=0), "block_size"),
    (lambda: quantizers.Int4QuantizationConfig(weight_quantizer=quantizers.AbsMaxQuantizer(
        value_range=(-8, 7))), "sub-channel"),
    (lambda: quantizers.Int4QuantizationConfig(
        weight_quantizer=quantizers.AbsMaxQuantizer(), block_size=None), r"\(-8, 7\)"),
    (lambda: quantizers.GPTQConfig(None, None, weight_bits=5), "2, 3, 4 and 8"),
    (lambda: quantizers.GPTQConfig(None, None, hessian_damping=2), "between 0 and 1"),
    (lambda: quantizers.GPTQConfig(None, None, group_size=0), "group_size"),
    (lambda: quantizers.AWQConfig(None, None, weight_bits=8), "4-bit"),
    (lambda: quantizers.AWQConfig(None, None, num_grid_points=0), "num_grid_points"),
])
def test_invalid_settings_are_refused_with_the_argument_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_calibration_data_is_not_saved():
    config = quantizers.GPTQConfig(["some text"], str.split).get_config()
    assert config["dataset"] is None and config["tokenizer"] is None
