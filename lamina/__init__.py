"""lamina: the Keras API, running on PyTorch. `import lamina as keras` is meant to work.

This file only re-exports. Names resolve lazily (PEP 562), so `import lamina` costs little more
than `import torch`, and a subpackage is imported the first time it is used.
"""

import warnings as _warnings

from lamina.registry.export import lazy_namespace
from lamina.version import __version__ as __version__
from lamina.version import version as version

# Old Keras code runs "with a warning": the DeprecationWarnings for Keras 1/2 spellings point at
# the user's line, which Python shows in a script; this shows, once per place, those still
# blamed on a lamina module (a legacy module path imported by another library, say).
_warnings.filterwarnings("default", message=r".*Keras (1|2|1/2)\b", category=DeprecationWarning,
                         module=r"lamina(\.|$)")

_SUBMODULES = {
    "activations", "applications", "backend", "callbacks", "config", "constraints", "datasets",
    "distillation", "distribution", "dtype_policies", "export", "initializers", "layers",
    "legacy", "losses", "metrics", "mixed_precision", "models", "ops", "optimizers",
    "preprocessing", "quantizers", "random", "regularizers", "saving", "tree", "utils",
    "visualization", "wrappers",
}

# Public names (`lamina.Model`, `lamina.Input`, ...) are declared where they are defined, with
# `@keras_export("Model")`; the table of where they live is generated from those declarations.
__getattr__, __dir__ = lazy_namespace(__name__, _SUBMODULES)
