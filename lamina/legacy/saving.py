"""Keras 2's config format for single objects: `{"class_name": ..., "config": {...}}`, with no
`module`/`registered_name` keys and nested objects marked `"__passive_serialization__"`.

Keras 3 keeps these two functions (`keras.legacy.saving`, `keras.utils.legacy`) for code and
configs written for tf.keras; lamina's own files use the Keras 3 format
(`lamina.saving.serialize_keras_object`). Lookups go through the registry only, as everywhere
in lamina: a name in a config never imports a module.
"""

import inspect

from lamina.registry import object_registry
from lamina.registry.export import keras_export

_PASSIVE = "__passive_serialization__"


@keras_export("legacy.saving.serialize_keras_object", "utils.legacy.serialize_keras_object",
              package=False)
def serialize_keras_object(instance):
    """`instance` as a Keras 2 config dict (objects with `get_config`) or its registered name
    (functions, classes)."""
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        config = {}
        for key, item in instance.get_config().items():
            if isinstance(item, str) or item is None:
                config[key] = item
                continue
            try:
                serialized = serialize_keras_object(item)
            except ValueError:
                config[key] = item  # numbers, lists, ...: kept as they are
                continue
            if isinstance(serialized, dict) and not isinstance(item, dict):
                serialized[_PASSIVE] = True
            config[key] = serialized
        return {"class_name": object_registry.get_registered_name(type(instance)),
                "config": config}
    if hasattr(instance, "__name__"):
        return object_registry.get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance!r}: it has no get_config() method and no name.")


@keras_export("legacy.saving.deserialize_keras_object", "utils.legacy.deserialize_keras_object",
              package=False)
def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object"):
    """The object a Keras 2 config dict or name stands for.

    `module_objects` and `custom_objects` are dicts of name -> object searched before lamina's
    registry (as in Keras); Keras 1/2 layer argument names are translated to Keras 3's.
    """
    if identifier is None:
        return None
    objects = {**(module_objects or {}), **(custom_objects or {})}
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(f"Improper config format for {printable_module_name}: {identifier!r}. "
                             'Expected a dict with "class_name" and "config".')
        class_name = identifier["class_name"]
        cls = _find(class_name, objects, printable_module_name)
        config = {key: deserialize_keras_object(value, module_objects, custom_objects)
                  if isinstance(value, dict) and value.get(_PASSIVE) else value
                  for key, value in identifier["config"].items()}
        config.pop(_PASSIVE, None)
        from lamina.layers.layer import Layer

        if isinstance(cls, type) and issubclass(cls, Layer):
            from lamina.saving.legacy_config import translate_layer_arguments

            config = translate_layer_arguments(cls.__name__, config)
        with object_registry.CustomObjectScope(objects):
            if not hasattr(cls, "from_config"):
                return cls(**config)
            if "custom_objects" in inspect.signature(cls.from_config).parameters:
                return cls.from_config(config, custom_objects=objects)
            return cls.from_config(config)
    if isinstance(identifier, str):
        return _find(identifier, objects, printable_module_name)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier!r}")


def _find(name, objects, what):
    found = object_registry.get_registered_object(name, objects)
    for package in sorted(object_registry.PACKAGES):
        if found is not None:
            break
        found = object_registry.get_registered_object(name, objects, package=package)
    if found is None:
        raise ValueError(
            f"Unknown {what}: '{name}'. Please ensure you are using a `keras.utils."
            "custom_object_scope` and that this object is included in the scope, or pass it in "
            "`custom_objects`.")
    return found
