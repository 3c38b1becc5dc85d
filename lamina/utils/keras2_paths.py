"""Keras 2 module paths (`keras.layers.advanced_activations`, `keras.engine.topology`,
`keras.utils.generic_utils`, ...), kept so that old tutorials import what they import.

Each such module is a few lines: `__getattr__, __dir__ = legacy_module(__name__, names,
"lamina.layers")`. A name resolves to the modern object of the same (or a mapped) name, with a
DeprecationWarning giving the modern path; lamina's own code never imports these modules.
"""

import importlib
import warnings

from lamina.utils.arguments import user_stacklevel


def legacy_module(module_name, names, modern):
    """`__getattr__` and `__dir__` for a Keras 2 module: `names` are the names it had (a list,
    or a dict of old name -> modern name), found in the module `modern`."""
    mapping = names if isinstance(names, dict) else {name: name for name in names}

    def __getattr__(name):
        if name not in mapping:
            raise AttributeError(f"module '{module_name}' has no attribute '{name}'. This is a "
                                 f"Keras 2 module path kept for old code; its names: "
                                 f"{', '.join(sorted(mapping))}. See {modern}.")
        target = mapping[name]
        warnings.warn(f"`{module_name}.{name}` is the Keras 2 module path; use "
                      f"`{modern}.{target}`.", DeprecationWarning, stacklevel=user_stacklevel())
        return getattr(importlib.import_module(modern), target)

    def __dir__():
        return sorted(mapping)

    return __getattr__, __dir__
