"""`lamina.dtype_policies`: what dtype a layer keeps its weights in and computes in."""

from lamina.dtype_policies.dtype_policy_map import DTypePolicyMap as DTypePolicyMap
from lamina.dtype_policies.quantized import AWQDTypePolicy as AWQDTypePolicy
from lamina.dtype_policies.quantized import GPTQDTypePolicy as GPTQDTypePolicy
from lamina.dtype_policies.quantized import Int4DTypePolicy as Int4DTypePolicy
from lamina.dtype_policies.quantized import QUANTIZATION_MODES as QUANTIZATION_MODES
from lamina.dtype_policies.quantized import QuantizedDTypePolicy as QuantizedDTypePolicy
from lamina.dtype_policies.quantized import QuantizedFloat8DTypePolicy as QuantizedFloat8DTypePolicy
from lamina.mixed_precision.policy import DTypePolicy as DTypePolicy
from lamina.mixed_precision.policy import FloatDTypePolicy as FloatDTypePolicy
from lamina.mixed_precision.policy import get as get

_ALL = {cls.__name__: cls for cls in (
    DTypePolicy, FloatDTypePolicy, DTypePolicyMap, QuantizedDTypePolicy,
    QuantizedFloat8DTypePolicy, Int4DTypePolicy, GPTQDTypePolicy, AWQDTypePolicy)}


def serialize(dtype_policy):
    """A policy's Keras config dict (`class_name`, `config`, ...)."""
    from lamina.registry.serialization import serialize_keras_object

    return serialize_keras_object(dtype_policy)


def deserialize(config, custom_objects=None):
    """The policy a `serialize` dict (or a class name) describes."""
    from lamina.registry.serialization import deserialize_keras_object

    if isinstance(config, dict) and "class_name" not in config and "name" in config:
        return DTypePolicy(config["name"])
    return deserialize_keras_object(config, package="dtype_policies",
                                    custom_objects={**_ALL, **(custom_objects or {})},
                                    what="dtype policy")
