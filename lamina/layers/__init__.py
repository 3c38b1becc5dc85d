"""`lamina.layers`: the layer classes.

Names resolve lazily (PEP 562) so that low-level modules (`lamina.layers.keras_tensor`, used by
`lamina.ops`) can be imported without importing every layer, which would be circular.
"""

import importlib

_NAMES = {
    "Activation": "lamina.layers.activations.activation",
    "Dense": "lamina.layers.core.dense",
    "Embedding": "lamina.layers.core.embedding",
    "Input": "lamina.layers.core.input_layer",
    "InputLayer": "lamina.layers.core.input_layer",
    "Lambda": "lamina.layers.core.lambda_layer",
    "InputSpec": "lamina.layers.input_spec",
    "Layer": "lamina.layers.layer",
    "Dropout": "lamina.layers.regularization.dropout",
    "Flatten": "lamina.layers.reshaping.flatten",
    "Reshape": "lamina.layers.reshaping.reshape",
}
_ALIASES = {
    "serialize": ("lamina.saving.serialization", "serialize_layer"),
    "deserialize": ("lamina.saving.serialization", "deserialize_layer"),
}


def _all_modules():
    """Every module defining a layer (imported when a config names a layer class)."""
    return sorted(set(_NAMES.values()))


def __getattr__(name):
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    if name in _ALIASES:
        module, attribute = _ALIASES[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'lamina.layers' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_NAMES) | set(_ALIASES))
