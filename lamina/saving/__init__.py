"""`lamina.saving`: the registry of serializable objects, config (de)serialization, and the
file formats (`.keras`, `.weights.h5`, legacy `.h5`, `.pt`).

The registry and configs are light and used by every layer; the file formats (h5py, zip
archives) load only when a model is saved or loaded: names resolve lazily (PEP 562).
"""

import importlib

from lamina.registry.object_registry import CustomObjectScope as CustomObjectScope
from lamina.registry.object_registry import custom_object_scope as custom_object_scope
from lamina.registry.object_registry import get_custom_objects as get_custom_objects
from lamina.registry.object_registry import get_registered_name as get_registered_name
from lamina.registry.object_registry import get_registered_object as get_registered_object
from lamina.registry.object_registry import (
    register_keras_serializable as register_keras_serializable,
)
from lamina.registry.serialization import deserialize_public as deserialize_keras_object
from lamina.registry.serialization import serialize_keras_object as serialize_keras_object

_LAZY = {
    **dict.fromkeys(("load_model", "load_weights", "save_model", "save_weights"),
                    "lamina.saving.saving_api"),
    "KerasFileEditor": "lamina.saving.file_editor",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is not None:
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'lamina.saving' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
