"""`lamina.layers`: the layer classes.

Names resolve lazily (PEP 562): using `Dense` imports the Dense module, not all 160 layers.
"""

from lamina.registry.export import declaring_modules, lazy_namespace

# Each layer is declared public where it is defined (`@keras_export("layers.Dense")`); the table
# that maps names to modules is generated from those declarations (lamina/registry/api_gen.py).
_lazy_getattr, __dir__ = lazy_namespace(__name__)


def __getattr__(name):
    if name == "Merge":  # Keras 1 (not public): constructing it explains what replaced it
        from lamina.layers.merge import Merge

        return Merge
    return _lazy_getattr(name)


def _all_modules():
    """Every module defining a layer (imported when a config names a layer class)."""
    return declaring_modules(__name__)
