"""Keras 2 module path `keras.engine` and its submodules (`keras.engine.topology`,
`.training`, `.base_layer`, `.input_layer`, `.sequential`, `.functional`): old custom layers
import `Layer` and `Model` from there. Each name warns (lamina/utils/keras2_paths.py)."""

from lamina.utils.keras2_paths import legacy_module

__getattr__, __dir__ = legacy_module(__name__, [
    "Layer", "InputSpec", "Input", "InputLayer", "Model", "Sequential"
], "lamina")
