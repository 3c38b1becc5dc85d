"""`lamina.layers`: the layer classes.

Names resolve lazily (PEP 562): using `Dense` imports the Dense module, not all 160 layers.
"""

from lamina.registry.export import declaring_modules, lazy_namespace

# Each layer is declared public where it is defined (`@keras_export("layers.Dense")`); the table
# that maps names to modules is generated from those declarations (lamina/registry/api_gen.py).
__getattr__, __dir__ = lazy_namespace(__name__)


def _all_modules():
    """Every module defining a layer (imported when a config names a layer class)."""
    return declaring_modules(__name__)
