"""One declaration per public object: `@keras_export("layers.Dense")`.

The decorator says where an object is public (paths relative to `lamina`, as Keras writes
`keras.layers.Dense`) and, for the packages whose names appear in configs (layers, losses,
optimizers, ...), registers it for deserialization under each public name and any extra string
`aliases` (`"mse"`). There is no second list to keep in step:

- the lazy namespaces (`lamina`, `lamina.layers`, `lamina.utils`, ...) resolve names through
  `public_api.LAZY`, a table generated from these declarations by reading the source, because a
  lazy namespace must know where a name lives *before* importing it. `python -m
  lamina.registry.api_gen` rewrites it; a test fails when it is stale.
- the eager namespaces import their modules; a test checks that every declared path resolves to
  the declared object there.
"""

import importlib
import sys

from lamina.registry.object_registry import EXPORTED, keras_export  # noqa: F401 (the API)


def lazy_namespace(module_name, submodules=()):
    """`__getattr__` and `__dir__` for a namespace whose names import on first use (PEP 562)."""
    from lamina.registry import public_api

    names = public_api.LAZY.get(module_name, {})
    submodules = frozenset(submodules)

    def __getattr__(name):
        if name in submodules:
            return importlib.import_module(f"{module_name}.{name}")
        if name in names:
            module = importlib.import_module(names[name])
            return EXPORTED[f"{module_name}.{name}"] if f"{module_name}.{name}" in EXPORTED \
                else getattr(module, name)
        raise AttributeError(f"module '{module_name}' has no attribute '{name}'")

    def __dir__():
        return sorted(set(vars(sys.modules[module_name])) | set(names) | submodules)

    return __getattr__, __dir__


def declaring_modules(module_name):
    """The modules that declare names of `module_name` (imported to register a whole package)."""
    from lamina.registry import public_api

    return sorted(set(public_api.LAZY.get(module_name, {}).values()))
