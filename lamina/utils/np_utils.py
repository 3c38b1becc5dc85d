"""Keras 2 location of the NumPy helpers (`from keras.utils import np_utils`), which Keras 1
and 2 tutorials import to one-hot encode labels: `np_utils.to_categorical(y, nb_classes)`.

Kept so that code runs; each use warns with the Keras 3 spelling (`keras.utils.to_categorical`).
"""

import warnings

from lamina.utils.arguments import user_stacklevel

_NAMES = ("to_categorical", "normalize")


def __getattr__(name):
    if name in _NAMES:
        warnings.warn(f"`keras.utils.np_utils.{name}` is the Keras 2 module path; use "
                      f"`keras.utils.{name}`.", DeprecationWarning, stacklevel=user_stacklevel())
        from lamina.utils import numerical_utils

        return getattr(numerical_utils, name)
    raise AttributeError(f"module 'lamina.utils.np_utils' has no attribute '{name}'. It holds "
                         f"only the Keras 2 names {', '.join(_NAMES)}; see lamina.utils.")


def __dir__():
    return sorted(_NAMES)
