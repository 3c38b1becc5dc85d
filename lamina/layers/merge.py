"""Keras 2 module path `keras.layers.merge` (old code imports from it; each name warns, see
lamina/utils/keras2_paths.py), and Keras 1's `merge(...)` function and `Merge` layer.

In Keras 1, `from keras.layers import merge` was a function: `merge([a, b], mode="concat",
concat_axis=-1)`. Here the name is this module, so the module itself is made callable: it
warns and calls the Keras 2+ merging function for `mode`. Keras 1's `Merge` layer (which merged
whole Sequential models) has no equivalent; constructing it says what to write instead.
"""

import sys
import types
import warnings

from lamina.utils.arguments import user_stacklevel
from lamina.utils.keras2_paths import legacy_module

__getattr__, __dir__ = legacy_module(__name__, [
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add",
    "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"
], "lamina.layers")

_MODES = {"sum": "add", "mul": "multiply", "ave": "average", "max": "maximum", "min": "minimum",
          "concat": "concatenate", "dot": "dot", "cos": "dot"}


def keras1_merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None,
                 output_mask=None, arguments=None, name=None, **kwargs):
    """Keras 1's `merge(inputs, mode=...)`, as the Keras 2 function for that mode."""
    from lamina import layers

    if callable(mode) or mode not in _MODES:
        raise ValueError(
            f"merge(mode={mode!r}) is Keras 1; lamina runs the modes {sorted(_MODES)} (as "
            "layers.add, layers.concatenate, ...). For a custom merge, use a Lambda layer on "
            "the list of tensors.")
    modern = _MODES[mode]
    shown = f"layers.{modern}(inputs" + (", axis=..." if mode == "concat" else "") + \
        (", axes=..., normalize=True" if mode == "cos" else "") + ")"
    warnings.warn(f"merge(inputs, mode={mode!r}) is Keras 1; use `{shown}`.",
                  DeprecationWarning, stacklevel=user_stacklevel())
    if mode == "concat":
        return layers.concatenate(inputs, axis=concat_axis, name=name, **kwargs)
    if mode in ("dot", "cos"):
        return layers.dot(inputs, axes=dot_axes, normalize=mode == "cos", name=name, **kwargs)
    return getattr(layers, modern)(inputs, name=name, **kwargs)


class Merge:
    """Keras 1's `Merge` layer: refused, with what to write instead."""

    def __init__(self, *args, **kwargs):
        raise TypeError(
            "Merge is the Keras 1 layer that merged models (`Merge([left, right], "
            "mode='concat')`); Keras 2 replaced it. Build a functional model: "
            "`merged = keras.layers.concatenate([left.output, right.output])` (or add, "
            "multiply, average, dot), then `keras.Model([left.input, right.input], ...)`.")


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return keras1_merge(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
