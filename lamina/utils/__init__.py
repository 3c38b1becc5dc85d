"""`lamina.utils`: data helpers, seeding, progress bar, serialization shortcuts.

Resolved lazily (PEP 562): internal modules import `lamina.utils.<module>` without pulling in
everything listed here.
"""

from lamina.registry.export import lazy_namespace

# Names are declared where they are defined (`@keras_export("utils.to_categorical")`).
__getattr__, __dir__ = lazy_namespace(__name__, submodules={
    "bounding_boxes", "legacy",
    # Keras 2 module paths (each name inside warns): keras.utils.np_utils.to_categorical(...)
    "np_utils", "data_utils", "generic_utils", "vis_utils"})
