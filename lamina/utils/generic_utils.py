"""Keras 2 module path `keras.utils.generic_utils` (old code imports from it; each name warns, see
lamina/utils/keras2_paths.py)."""

from lamina.utils.keras2_paths import legacy_module

__getattr__, __dir__ = legacy_module(__name__, [
    "get_custom_objects", "CustomObjectScope", "custom_object_scope", "serialize_keras_object",
    "deserialize_keras_object", "register_keras_serializable", "Progbar"
], "lamina.utils")
