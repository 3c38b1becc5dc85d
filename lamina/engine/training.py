"""Keras 2 module path `keras.engine.training` (old code imports from it; each name warns, see
lamina/utils/keras2_paths.py)."""

from lamina.utils.keras2_paths import legacy_module

__getattr__, __dir__ = legacy_module(__name__, [
    "Layer", "InputSpec", "Input", "InputLayer", "Model", "Sequential"
], "lamina")
