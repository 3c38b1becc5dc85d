"""`lamina.preprocessing`: Keras's legacy preprocessing namespace (`preprocessing.sequence`)."""

import importlib

_SUBMODULES = {"sequence"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"lamina.preprocessing.{name}")
    raise AttributeError(f"module 'lamina.preprocessing' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
