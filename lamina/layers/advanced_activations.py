"""Keras 2 module path `keras.layers.advanced_activations` (old code imports from it; each name warns, see
lamina/utils/keras2_paths.py)."""

from lamina.utils.keras2_paths import legacy_module

__getattr__, __dir__ = legacy_module(__name__, [
    "LeakyReLU", "PReLU", "ELU", "ReLU", "Softmax"
], "lamina.layers")
