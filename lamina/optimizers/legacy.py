"""`keras.optimizers.legacy`: the TF 2.11+ address of the Keras 2 optimizers.

Keras 3 keeps the names but makes them raise ImportError. Tutorials written for TensorFlow
2.11-2.15 import from here (`from keras.optimizers.legacy import Adam`), so lamina gives the
modern optimizer, with a DeprecationWarning naming the modern spelling; the old arguments
(`lr=`, `decay=`) already work on the modern classes, with their own warnings.
"""

import importlib
import warnings

from lamina.utils.arguments import user_stacklevel

_NAMES = ("Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD")


def __getattr__(name):
    if name in _NAMES:
        warnings.warn(f"`keras.optimizers.legacy.{name}` is the TF 2.11-2.15 address of a Keras 2 "
                      f"optimizer; use `keras.optimizers.{name}` (lamina gives you that one).",
                      DeprecationWarning, stacklevel=user_stacklevel())
        return getattr(importlib.import_module("lamina.optimizers"), name)
    raise AttributeError(f"module 'lamina.optimizers.legacy' has no attribute '{name}'")


def __dir__():
    return sorted(_NAMES)
