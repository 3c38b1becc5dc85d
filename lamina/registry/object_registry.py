"""Where names in configs and strings in `compile()` are turned back into Python objects.

Built-in objects register under a *package* ("layers", "initializers", "losses", ...) with their
class or function name and any Keras aliases (`"glorot_uniform"`, `"mse"`). User objects register
with `register_keras_serializable(package, name)` as `"package>name"`, or are passed explicitly via
`custom_objects=` / `custom_object_scope`. Lookups never import a module named in a file: a config
can only reach what is registered here (this is what keeps loading safe).
"""

import importlib
import threading

_BUILTINS = {}  # package -> {name: object}
_CUSTOM_OBJECTS = {}  # "package>name" -> object
_CUSTOM_NAMES = {}  # object -> "package>name"
_scope = threading.local()


def register_builtin(package, *aliases):
    """Decorator: make a lamina object findable by its own name and by `aliases`."""

    def decorator(obj):
        table = _BUILTINS.setdefault(package, {})
        for name in (obj.__name__, *aliases):
            table[name] = obj
        obj._keras_package = package
        return obj

    return decorator


# Namespaces whose names are also the names configs use to find objects (the registry packages).
_REGISTRY_PACKAGES = {
    "layers": "layers", "models": "models", "activations": "activations",
    "initializers": "initializers", "regularizers": "regularizers", "constraints": "constraints",
    "losses": "losses", "metrics": "metrics", "optimizers": "optimizers",
    "optimizers.schedules": "schedules", "callbacks": "callbacks",
    "dtype_policies": "dtype_policies", "mixed_precision": "dtype_policies",
}

EXPORTED = {}  # "lamina.layers.Dense" -> the object, filled as declaring modules are imported


def keras_export(*paths, aliases=(), package=None):
    """Decorator: `obj` is public at each of `paths` ("layers.Conv2D", "layers.Convolution2D").

    `package` overrides the registry package derived from the first path (`False`: public but
    not a name configs may use, e.g. the `layers.add` function); `aliases` are extra names configs
    and `compile()` strings may use that are not attributes of the namespace (`"mse"`).
    """
    if not paths:
        raise ValueError("keras_export needs at least one public path, e.g. 'layers.Dense'.")

    def decorator(obj):
        for path in paths:
            EXPORTED[f"lamina.{path}"] = obj
        registry_package = (_REGISTRY_PACKAGES.get(_namespace(paths[0])) if package is None
                            else package)
        if registry_package:
            names = [path.rsplit(".", 1)[-1] for path in paths]
            extra = [name for name in names if name != getattr(obj, "__name__", None)]
            register_builtin(registry_package, *dict.fromkeys(extra), *aliases)(obj)
        obj._keras_export_paths = (*getattr(obj, "_keras_export_paths", ()), *paths)
        return obj

    return decorator


def _namespace(path):
    return path.rsplit(".", 1)[0] if "." in path else ""


def builtin_names(package):
    _import_builtins(package)
    return sorted(_BUILTINS.get(package, {}))


@keras_export("utils.register_keras_serializable")
def register_keras_serializable(package="Custom", name=None):
    """Decorator for user classes and functions so saved models can find them again."""

    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: a serializable class needs a get_config() method."
            )
        _CUSTOM_OBJECTS[registered] = obj
        _CUSTOM_NAMES[obj] = registered
        return obj

    return decorator


@keras_export("utils.get_registered_name")
def get_registered_name(obj):
    """"package>name" for registered user objects, otherwise the plain name."""
    return _CUSTOM_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


@keras_export("utils.get_registered_object")
def get_registered_object(name, custom_objects=None, package=None):
    """The object registered as `name`, looking in the places Keras looks, in Keras's order."""
    for table in (custom_objects or {}, *reversed(_scope_stack())):
        if name in table:
            return table[name]
    if name in _CUSTOM_OBJECTS:
        return _CUSTOM_OBJECTS[name]
    for registered, obj in _CUSTOM_OBJECTS.items():
        if registered.split(">", 1)[1] == name:
            return obj
    if package is not None:
        _import_builtins(package)
        return _BUILTINS.get(package, {}).get(name)
    return None


# The modules whose import registers a package's built-ins (lamina imports lazily).
_PACKAGE_MODULES = {
    "layers": "lamina.layers",
    "models": "lamina.models",
    "activations": "lamina.activations",
    "initializers": "lamina.initializers",
    "regularizers": "lamina.regularizers",
    "constraints": "lamina.constraints",
    "losses": "lamina.losses",
    "metrics": "lamina.metrics",
    "optimizers": "lamina.optimizers",
    "schedules": "lamina.optimizers.schedules",
    "callbacks": "lamina.callbacks",
}
PACKAGES = frozenset(_PACKAGE_MODULES)
_imported_packages = set()


def _import_builtins(package):
    if package in _imported_packages or package not in _PACKAGE_MODULES:
        return
    _imported_packages.add(package)
    module = importlib.import_module(_PACKAGE_MODULES[package])
    for submodule in getattr(module, "_all_modules", lambda: [])():
        importlib.import_module(submodule)


@keras_export("utils.get_custom_objects")
def get_custom_objects():
    """The global registry of user objects (a live dict, as in Keras)."""
    return _CUSTOM_OBJECTS


def _scope_stack():
    if not hasattr(_scope, "stack"):
        _scope.stack = []
    return _scope.stack


@keras_export("utils.CustomObjectScope", "utils.custom_object_scope")
class CustomObjectScope:
    """`with custom_object_scope({"MyLayer": MyLayer}):` makes names resolvable inside the block."""

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            self.custom_objects.update(objects or {})

    def __enter__(self):
        _scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _scope_stack().pop()


custom_object_scope = CustomObjectScope
