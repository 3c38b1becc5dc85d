"""`lamina.quantizers.get / serialize / deserialize`: quantizers and quantization configs to
and from Keras's config dicts (`{"module": "keras.quantizers", "class_name": ...}`)."""

import inspect

from lamina.registry.object_registry import keras_export

_PACKAGE = "quantizers"  # the registry package the quantizer classes are declared in


@keras_export("quantizers.serialize", package=False)
def serialize(initializer):
    """The Keras config dict of a quantizer or quantization config."""
    from lamina.registry.serialization import serialize_keras_object

    return serialize_keras_object(initializer)


@keras_export("quantizers.deserialize", package=False)
def deserialize(config, custom_objects=None):
    """A quantizer or quantization config from its config dict (or class name)."""
    from lamina.registry.serialization import deserialize_keras_object

    return deserialize_keras_object(config, package=_PACKAGE, custom_objects=custom_objects,
                                    what="quantizer")


@keras_export("quantizers.get", package=False)
def get(identifier, **kwargs):
    """A quantizer from an instance, a config dict, or a class name (`"AbsMaxQuantizer"` or
    `"abs_max_quantizer"`; a class is instantiated with `**kwargs`)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        from lamina.registry.object_registry import get_registered_object

        obj = get_registered_object(identifier, package=_PACKAGE)
    else:
        obj = identifier
    if inspect.isclass(obj):
        return obj(**kwargs)
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret quantizer identifier: {identifier!r}. Pass a quantizer, its "
        "config dict, or a class name such as 'AbsMaxQuantizer'."
    )
