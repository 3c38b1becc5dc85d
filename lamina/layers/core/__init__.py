"""The core layers' modules — and the Keras 2 module path `keras.layers.core`.

`from lamina.layers.core import Dense` is Keras 2 code: it works and warns with the modern
spelling. lamina's own modules import `lamina.layers.core.dense` etc. directly, which does not
go through the names below, so they never warn.
"""

import importlib
import warnings

from lamina.utils.arguments import user_stacklevel

_LEGACY_NAMES = {
    "Activation": "lamina.layers.activations.activation",
    "Dense": "lamina.layers.core.dense",
    "Dropout": "lamina.layers.regularization.dropout",
    "Embedding": "lamina.layers.core.embedding",
    "Flatten": "lamina.layers.reshaping.flatten",
    "Input": "lamina.layers.core.input_layer",
    "InputLayer": "lamina.layers.core.input_layer",
    "Lambda": "lamina.layers.core.lambda_layer",
    "Reshape": "lamina.layers.reshaping.reshape",
}


def __getattr__(name):
    if name in _LEGACY_NAMES:
        warnings.warn(
            f"`lamina.layers.core.{name}` is the Keras 2 module path; use `lamina.layers.{name}`.",
            DeprecationWarning,
            stacklevel=user_stacklevel(),
        )
        return getattr(importlib.import_module(_LEGACY_NAMES[name]), name)
    raise AttributeError(f"module 'lamina.layers.core' has no attribute '{name}'")
