"""lamina: the Keras API, running on PyTorch. `import lamina as keras` is meant to work.

This file only re-exports. Names resolve lazily (PEP 562), so `import lamina` costs little more
than `import torch`, and a subpackage is imported the first time it is used.
"""

import importlib

from lamina.version import __version__ as __version__
from lamina.version import version as version

_SUBMODULES = {
    "activations", "backend", "callbacks", "config", "constraints", "datasets", "distillation",
    "initializers",
    "layers", "losses", "metrics", "mixed_precision", "models", "ops", "optimizers", "random",
    "regularizers",
    "saving", "tree", "utils",
    "dtype_policies", "preprocessing",
}

_NAMES = {
    "Initializer": "lamina.initializers",
    "Input": "lamina.layers",
    "InputSpec": "lamina.layers",
    "Layer": "lamina.layers",
    "KerasTensor": "lamina.layers.keras_tensor",
    "Loss": "lamina.losses",
    "Metric": "lamina.metrics",
    "Model": "lamina.models",
    "Sequential": "lamina.models",
    "Optimizer": "lamina.optimizers",
    "Regularizer": "lamina.regularizers",
    "Variable": "lamina.variables",
    "DTypePolicy": "lamina.dtype_policies",
    "FloatDTypePolicy": "lamina.dtype_policies",
    "Function": "lamina.function",
    "remat": "lamina.rematerialization",
}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"lamina.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'lamina' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_NAMES))
