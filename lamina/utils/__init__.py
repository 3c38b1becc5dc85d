"""`lamina.utils`: data helpers, seeding, progress bar, serialization shortcuts.

Resolved lazily (PEP 562): internal modules import `lamina.utils.<module>` without pulling in
everything listed here.
"""

import importlib

_NAMES = {
    "is_keras_tensor": "lamina.layers.keras_tensor",
    "CustomObjectScope": "lamina.saving.object_registry",
    "custom_object_scope": "lamina.saving.object_registry",
    "get_custom_objects": "lamina.saving.object_registry",
    "get_registered_name": "lamina.saving.object_registry",
    "get_registered_object": "lamina.saving.object_registry",
    "register_keras_serializable": "lamina.saving.object_registry",
    "deserialize_keras_object": "lamina.saving.serialization",
    "serialize_keras_object": "lamina.saving.serialization",
    "normalize": "lamina.utils.numerical_utils",
    "to_categorical": "lamina.utils.numerical_utils",
    "pad_sequences": "lamina.utils.sequence_utils",
    "Progbar": "lamina.utils.progbar",
    "set_random_seed": "lamina.utils.rng_utils",
    "clear_session": "lamina.backend",
    "plot_model": "lamina.utils.plotting",
    "model_to_dot": "lamina.utils.plotting",
    "plot_history": "lamina.utils.plotting",
    "PyDataset": "lamina.utils.py_dataset",
    "Sequence": "lamina.utils.py_dataset",
    "pack_x_y_sample_weight": "lamina.trainers.data_adapters.batch_conversion",
    "unpack_x_y_sample_weight": "lamina.trainers.data_adapters.batch_conversion",
}


_SUBMODULES = {"bounding_boxes"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"lamina.utils.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'lamina.utils' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_NAMES) | _SUBMODULES)
