"""Keras 2 module path `keras.layers.merge` (old code imports from it; each name warns, see
lamina/utils/keras2_paths.py)."""

from lamina.utils.keras2_paths import legacy_module

__getattr__, __dir__ = legacy_module(__name__, [
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add",
    "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"
], "lamina.layers")
