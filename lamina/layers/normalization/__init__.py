"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization, RMSNormalization."""

# Also the Keras 2 module path `keras.layers.normalization` (the layers now live in
# lamina.layers; lamina's own code imports the submodules above directly).
from lamina.utils.keras2_paths import legacy_module

__getattr__, __dir__ = legacy_module(__name__, ["BatchNormalization", "LayerNormalization"],
                                     "lamina.layers")
