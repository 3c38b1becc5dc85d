"""Objects <-> JSON-able configs, in Keras 3's dict format.

`serialize_keras_object(GlorotUniform())` gives
`{"module": "keras.initializers", "class_name": "GlorotUniform", "config": {...},
"registered_name": None}` so configs written here read the same as Keras's own (issue: saving).
Registered functions (activations, loss functions) serialize to their name, as in Keras.
"""

import difflib
import inspect

from lamina.registry import object_registry
from lamina.registry.export import keras_export


# Where Keras 3 files say built-in objects live, when it is not simply "keras.<package>".
_KERAS_MODULES = {"schedules": "keras.optimizers.schedules", "models": "keras"}

# Keras's application modules. A layer class defined in one (InceptionResNetV2's
# CustomScaleLayer, ConvNeXt's LayerScale) is saved with module "keras.src.applications.<name>"
# and found again in lamina.applications.<name>. Only names on this fixed list are ever mapped to
# a module: nothing named in a file is imported as such.
_APPLICATION_MODULES = frozenset({
    "convnext", "densenet", "efficientnet", "efficientnet_v2", "inception_resnet_v2",
    "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3", "nasnet", "resnet", "resnet50",
    "resnet_v2", "vgg16", "vgg19", "xception",
})
_APPLICATION_PREFIXES = ("keras.src.applications.", "keras.applications.")


@keras_export("utils.serialize_keras_object")
def serialize_keras_object(obj):
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        # Keras 3 writes every function so (its module field says "builtins", the class of a
        # function); the name in "config" is what it is registered or exported under
        return {"module": "builtins", "class_name": "function",
                "config": object_registry.get_registered_name(obj), "registered_name": "function"}
    if hasattr(obj, "get_config"):
        cls = type(obj)
        package = getattr(cls, "_keras_package", None)
        # (a user's registered subclass of a lamina base is found under its plain name too:
        # it is not built in, and gets Keras's `registered_name`, "package>Name")
        builtin = package is not None and cls.__module__.startswith("lamina.") and \
            object_registry.get_registered_object(cls.__name__, package=package) is cls
        module = cls.__dict__.get("_keras_module") or _KERAS_MODULES.get(package, f"keras.{package}")
        registered = cls.__dict__.get("_keras_registered_name")
        if not builtin:
            module = _application_module_of(cls) or _utils_module_of(cls)
        serialized = {
            "module": module,
            "class_name": cls.__name__,
            "config": _serialize_nested(obj.get_config()),
            "registered_name": registered if builtin else object_registry.get_registered_name(cls),
        }
        # Keras writes how to rebuild a layer's weights wherever the layer is serialized,
        # nested ones included (the cell of an RNN, the layer of a wrapper).
        build_config = obj.get_build_config() if hasattr(obj, "get_build_config") else None
        if build_config is not None and cls.__name__ not in ("InputLayer", "Sequential"):
            serialized["build_config"] = build_config
        return serialized
    raise TypeError(
        f"Cannot serialize {obj!r}: it has no get_config(). Give its class a get_config() method "
        "and register it with lamina.saving.register_keras_serializable()."
    )


def _serialize_nested(value):
    """A config with the Keras objects inside it (a custom layer's `get_config()` returning
    the layers it holds, an initializer object) serialized, as Keras does; plain values and
    containers are left as they are (tuples stay tuples)."""
    if isinstance(value, dict):
        return {key: _serialize_nested(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_serialize_nested(item) for item in value) if type(value) in (
            list, tuple) else value
    if hasattr(value, "get_config") and not isinstance(value, type):
        return serialize_keras_object(value)
    return value


@keras_export("utils.deserialize_keras_object")
def deserialize_keras_object(config, package=None, custom_objects=None, what="object"):
    """Rebuild an object from a name or a config dict; `package` says where built-ins live
    (without it, a Keras config's own "module" says: `keras.regularizers` -> regularizers)."""
    if config is None:
        return None
    if isinstance(config, str):
        return _lookup(config, package, custom_objects, what)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Cannot deserialize {what} from {config!r}: expected a name or a config dict.")
    refuse_unsafe_module(config)
    packages = [package] if package else _packages_of_module(config.get("module"))
    if config["class_name"] == "function":  # Keras 3 writes a function as its name in "config"
        try:
            return _lookup_in(packages, config["config"], custom_objects, what)
        except ValueError:
            if (config.get("module") or "").split(".")[0] == "builtins":
                raise unsafe_error(config, "builtins") from None
            raise
    name = config.get("registered_name") or config["class_name"]
    try:
        cls = _lookup_in(packages, name, custom_objects, what, fallback=config["class_name"])
    except ValueError:
        cls = (_application_layer(config.get("module"), config["class_name"])
               or _utils_layer(config.get("module"), config["class_name"]))
        if cls is None:
            raise
    inner = config.get("config", {})
    with object_registry.CustomObjectScope(custom_objects or {}):
        if hasattr(cls, "from_config"):
            obj = cls.from_config(inner)
        else:
            obj = cls(**inner) if isinstance(cls, type) else cls
    build_config = config.get("build_config")
    if build_config and hasattr(obj, "build_from_config") and not getattr(obj, "built", True):
        obj.build_from_config(build_config)
    return obj


def deserialize_public(config, custom_objects=None, safe_mode=True, **kwargs):
    """`keras.saving.deserialize_keras_object`: as above, but a name that nothing is registered
    under comes back as the name itself (Keras returns it unchanged)."""
    from lamina.registry.safe_mode import SafeModeScope

    custom_objects = {**(kwargs.pop("module_objects", None) or {}), **(custom_objects or {})}
    if kwargs:
        raise TypeError(f"deserialize_keras_object() got unexpected arguments: {sorted(kwargs)}.")
    if isinstance(config, str):
        found = object_registry.get_registered_object(config, custom_objects)
        return config if found is None else found
    with SafeModeScope(safe_mode):
        return deserialize_keras_object(config, custom_objects=custom_objects)


# Modules whose functions run programs, touch files or load code: a config naming one of them is
# refused whatever `safe_mode` says. (Nothing named in a file is ever imported by lamina; the
# message says why the object was not found, in terms of safety.)
_UNSAFE_MODULES = {"os", "posix", "nt", "subprocess", "sys", "shutil", "importlib", "runpy",
                   "pickle", "marshal", "ctypes", "socket", "pty", "code", "codeop", "io",
                   "pathlib", "tempfile", "webbrowser", "multiprocessing", "threading"}


def refuse_unsafe_module(config):
    module = config.get("module")
    top = module.split(".")[0] if isinstance(module, str) else ""
    if top in _UNSAFE_MODULES:
        raise unsafe_error(config, top)


def unsafe_error(config, module):
    name = config["config"] if config.get("class_name") == "function" else config.get("class_name")
    return ValueError(
        f"The file's config names '{config.get('module')}.{name}', a function of Python's "
        f"'{module}' module: it was refused for safety, and nothing was executed. Loading only "
        "rebuilds objects lamina knows (its layers, losses, ... and classes you register with "
        "`register_keras_serializable` or pass in `custom_objects`); `safe_mode=False` would not "
        "change this (it only allows Lambda bytecode). Do not load files you do not trust."
    )


def _packages_of_module(module):
    """The lamina packages that may hold an object whose Keras config names `module`."""
    if not module:
        return [None]
    parts = [p for p in module.split(".") if p not in ("keras", "src", "tf_keras")]
    if module == "builtins":  # Keras's module for plain functions: activations, losses, metrics
        return ["activations", "losses", "metrics"]
    if not parts:
        return ["models"]
    if parts[:2] == ["optimizers", "schedules"]:
        return ["schedules"]
    return [parts[0] if parts[0] in object_registry.PACKAGES else None]


def _application_module_of(cls):
    """Keras's module for a layer class of a lamina application module, else None."""
    module = getattr(cls, "__module__", "") or ""
    short = module[len("lamina.applications."):] if module.startswith("lamina.applications.") \
        else None
    return f"keras.src.applications.{short}" if short in _APPLICATION_MODULES else None


def _application_layer(module, class_name):
    """The Layer subclass `class_name` defined in the lamina application module matching a
    Keras config's `module` ("keras.src.applications.inception_resnet_v2"), or None."""
    module = module or ""
    prefix = next((p for p in _APPLICATION_PREFIXES if module.startswith(p)), None)
    short = module[len(prefix):] if prefix else None
    if short not in _APPLICATION_MODULES:
        return None
    import importlib

    from lamina import layers

    try:  # a fixed module name from the list above, never the file's text as such
        source = importlib.import_module(f"lamina.applications.{short}")
    except ImportError:
        return None
    cls = getattr(source, class_name, None)
    if isinstance(cls, type) and issubclass(cls, layers.Layer) and \
            cls.__module__ == source.__name__:
        return cls
    return None


def _utils_module_of(cls):
    """"keras.utils" for a layer class public in lamina.utils (FeatureSpace), as Keras writes."""
    paths = cls.__dict__.get("_keras_export_paths", ())
    return "keras.utils" if any(path.startswith("utils.") for path in paths) else None


def _utils_layer(module, class_name):
    """The Layer subclass public as lamina.utils.<class_name>, for a config of module
    "keras.utils" (Keras's FeatureSpace). Found through the generated table of public names,
    a fixed list: never the file's text as a module name."""
    if module != "keras.utils":
        return None
    import importlib

    from lamina.layers.layer import Layer
    from lamina.registry import public_api

    source = public_api.LAZY.get("lamina.utils", {}).get(class_name)
    if source is None:
        return None
    importlib.import_module(source)
    cls = object_registry.EXPORTED.get(f"lamina.utils.{class_name}")
    return cls if isinstance(cls, type) and issubclass(cls, Layer) else None


def _lookup_in(packages, name, custom_objects, what, fallback=None):
    for package in packages[:-1]:
        try:
            return _lookup(name, package, custom_objects, what, fallback)
        except ValueError:
            continue
    return _lookup(name, packages[-1], custom_objects, what, fallback)


def _lookup(name, package, custom_objects, what, fallback=None):
    for candidate in (name, fallback):
        if candidate is None:
            continue
        obj = object_registry.get_registered_object(candidate, custom_objects, package)
        if obj is not None:
            return obj
    valid = object_registry.builtin_names(package) if package else []
    close = difflib.get_close_matches(str(name), valid, n=3, cutoff=0.6)
    listing = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    if valid:
        listing += f" Known names: {', '.join(valid)}."
    raise ValueError(
        f"Unknown {what}: '{name}'.{listing} If it is your own, register it with "
        "@lamina.saving.register_keras_serializable() or pass custom_objects={...}."
    )


def resolve(package, identifier, what, instantiate_classes=True):
    """The `get(identifier)` of a family: None, an instance, a name, a config dict or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        obj = deserialize_keras_object(identifier, package=package, what=what)
        if instantiate_classes and isinstance(obj, type):
            obj = obj()
        return obj
    if isinstance(identifier, type) and instantiate_classes:
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret {what} identifier: {identifier!r}")


@keras_export("layers.serialize", package=False)
def serialize_layer(layer):
    """A layer's config in Keras 3's layout, including how to rebuild its weights."""
    from lamina.layers.core.op_layer import OpLayer, serialized_op

    if isinstance(layer, OpLayer):  # an op on symbolic tensors, stored as Keras stores ops
        module, class_name = serialized_op(layer)
        return {"module": module, "class_name": class_name, "config": layer.get_config(),
                "registered_name": class_name}
    return serialize_keras_object(layer)  # (with its build_config)


@keras_export("layers.deserialize", package=False)
def deserialize_layer(config, custom_objects=None):
    if isinstance(config, dict) and str(config.get("module") or "").startswith("keras.src.ops"):
        from lamina.layers.core.op_layer import OpLayer

        return OpLayer.from_op_config(config["class_name"], config.get("config", {}))
    if isinstance(config, dict) and "class_name" in config:
        name = config.get("registered_name") or config["class_name"]
        package = "models" if object_registry.get_registered_object(
            name, custom_objects, "models") is not None else "layers"
    else:
        package = "layers"
    layer = deserialize_keras_object(config, package=package, custom_objects=custom_objects,
                                     what="layer")
    build_config = config.get("build_config") if isinstance(config, dict) else None
    if build_config and not layer.built:
        layer.build_from_config(build_config)
    return layer
