"""`lamina.regularizers`: L1, L2, L1L2, OrthogonalRegularizer, and `get` / `serialize` /
`deserialize`."""

from lamina.regularizers.regularizers import L1 as L1
from lamina.regularizers.regularizers import L1L2 as L1L2
from lamina.regularizers.regularizers import L2 as L2
from lamina.regularizers.regularizers import OrthogonalRegularizer as OrthogonalRegularizer
from lamina.regularizers.regularizers import Regularizer as Regularizer
from lamina.registry import serialization as _serialization

l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

_PACKAGE = "regularizers"


def _documented_l1_l2():
    # The string "l1_l2" means 0.01 of each penalty: so said Keras 2 and Keras 3's docs
    # (Keras 3.15 itself rejects the string). `L1L2()` itself keeps Keras's 0.0 defaults.
    return L1L2(l1=0.01, l2=0.01)


_NAMED_DEFAULTS = {"l1_l2": _documented_l1_l2}


def get(identifier):
    """A regularizer from a name (`"l2"`), a config dict, a class, an instance or a callable."""
    if isinstance(identifier, str) and identifier in _NAMED_DEFAULTS:
        return _NAMED_DEFAULTS[identifier]()
    return _serialization.resolve(_PACKAGE, identifier, "regularizer")


def serialize(regularizer):
    return _serialization.serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    if isinstance(config, str) and config in _NAMED_DEFAULTS:
        return _NAMED_DEFAULTS[config]()
    obj = _serialization.deserialize_keras_object(
        config, package=_PACKAGE, custom_objects=custom_objects, what="regularizer"
    )
    return obj() if isinstance(obj, type) else obj
