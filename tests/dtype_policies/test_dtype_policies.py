import pytest

import lamina
from lamina import dtype_policies as dp


@pytest.fixture(autouse=True)
def _reset_policy():
    yield
    lamina.config.set_dtype_policy("float32")
    lamina.mixed_precision.set_global_policy(None)


def test_set_dtype_policy_is_the_mixed_precision_global():
    lamina.config.set_dtype_policy("mixed_bfloat16")
    assert lamina.config.dtype_policy().name == "mixed_bfloat16"
    assert lamina.mixed_precision.global_policy().name == "mixed_bfloat16"
    assert lamina.layers.Dense(2).compute_dtype == "bfloat16"
    assert dp.DTypePolicy().name == "mixed_bfloat16"  # no name: the global policy


def test_policy_dtypes_and_equality():
    policy = dp.DTypePolicy("mixed_float16")
    assert (policy.compute_dtype, policy.variable_dtype) == ("float16", "float32")
    assert policy.quantization_mode is None
    assert dp.FloatDTypePolicy("mixed_float16") == policy
    assert repr(dp.FloatDTypePolicy("float32")) == '<DTypePolicy "float32">'
    assert dp.DTypePolicy("int32").compute_dtype == "int32"  # Keras accepts any dtype name


def test_serialize_matches_keras_format():
    # from Keras 3.15.1, JAX backend
    assert dp.serialize(dp.DTypePolicy("float32")) == {
        "module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
        "registered_name": None}
    quantized = dp.get("gptq/4/128_from_float32")
    assert quantized.name == "gptq/4/128_from_float32" and quantized.quantization_mode == "gptq"
    assert dp.serialize(quantized) == {
        "module": "keras.dtype_policies", "class_name": "GPTQDTypePolicy",
        "config": {"mode": "gptq/4/128", "source_name": "float32"}, "registered_name": None}
    assert dp.deserialize(dp.serialize(quantized)) == quantized
    int8 = dp.get("int8_from_mixed_bfloat16")
    assert type(int8) is dp.QuantizedDTypePolicy
    assert (int8.compute_dtype, int8.variable_dtype) == ("bfloat16", "float32")
    restored = dp.get({"class_name": "FloatDTypePolicy", "config": {"name": "float16"}})
    assert restored.name == "float16"


def test_policy_map_lookup_and_round_trip():
    policy_map = dp.DTypePolicyMap(default_policy="float32")
    policy_map["encoder/layer_0/dense"] = "bfloat16"
    policy_map["encoder/.*"] = "float16"
    assert policy_map["encoder/layer_0/dense"].name == "bfloat16"  # exact key first
    assert policy_map["encoder/attention/query"].name == "float16"  # then regex full match
    assert policy_map["decoder/attention"].name == "float32"
    assert policy_map.name == "map_float32" and len(policy_map) == 2
    restored = dp.deserialize(dp.serialize(policy_map))
    assert restored["encoder/x"].name == "float16"
    policy_map["encoder/attention/.*"] = "bfloat16"
    with pytest.raises(ValueError, match="matches multiple dtype policy"):
        policy_map["encoder/attention/query"]
    with pytest.raises(ValueError, match="already in the DTypePolicyMap"):
        policy_map["encoder/.*"] = "float32"


def test_errors():
    with pytest.raises(ValueError, match="Unknown dtype policy 'foo'"):
        dp.DTypePolicy("foo")
    with pytest.raises(TypeError, match="must be a string"):
        dp.DTypePolicy(3)
    with pytest.raises(ValueError, match="takes a policy name"):
        lamina.config.set_dtype_policy(None)
    with pytest.raises(ValueError, match="Cannot interpret dtype policy"):
        dp.get(3.5)
    with pytest.raises(ValueError, match="does not work with compute dtype 'float16'"):
        dp.get("int8_from_float16")
    with pytest.raises(ValueError, match="cannot be a `DTypePolicyMap`"):
        dp.DTypePolicyMap(dp.DTypePolicyMap())
    with pytest.raises(NotImplementedError, match="does not implement quantized layers"):
        dp.get("int8_from_float32").convert_input(None, True, "float32")
