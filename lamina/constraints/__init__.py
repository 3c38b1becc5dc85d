"""`lamina.constraints`: MaxNorm, MinMaxNorm, NonNeg, UnitNorm, and `get` / `serialize` /
`deserialize`."""

from lamina.constraints.constraints import Constraint as Constraint
from lamina.constraints.constraints import MaxNorm as MaxNorm
from lamina.constraints.constraints import MinMaxNorm as MinMaxNorm
from lamina.constraints.constraints import NonNeg as NonNeg
from lamina.constraints.constraints import UnitNorm as UnitNorm
from lamina.registry import serialization as _serialization
from lamina.utils.arguments import warn_deprecated as _warn_deprecated

max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

_PACKAGE = "constraints"

# Keras 1/2 spellings, still read (with a DeprecationWarning) so old code and configs load.
_LEGACY_NAMES = {"maxnorm": "max_norm", "nonneg": "non_neg", "unitnorm": "unit_norm"}


def get(identifier):
    """A constraint from a name (`"max_norm"`), a config dict, a class, an instance or a callable."""
    return _serialization.resolve(_PACKAGE, _modern_name(identifier), "constraint")


def serialize(constraint):
    return _serialization.serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    obj = _serialization.deserialize_keras_object(
        _modern_name(config), package=_PACKAGE, custom_objects=custom_objects, what="constraint"
    )
    return obj() if isinstance(obj, type) else obj


def _modern_name(identifier):
    if isinstance(identifier, str) and identifier in _LEGACY_NAMES:
        _warn_deprecated(f'"{identifier}"', f'"{_LEGACY_NAMES[identifier]}"', "constraints",
                         stacklevel=4)
        return _LEGACY_NAMES[identifier]
    return identifier


def __getattr__(name):
    """Keras 1/2's lowercase class aliases (`from keras.constraints import maxnorm`, in the
    classic dropout tutorial): the class, with a DeprecationWarning."""
    if name in _LEGACY_NAMES:
        modern = globals()[_LEGACY_NAMES[name]].__name__  # (max_norm is MaxNorm)
        _warn_deprecated(f"constraints.{name}", f"constraints.{modern}", "lamina", stacklevel=3)
        return globals()[_LEGACY_NAMES[name]]
    raise AttributeError(f"module 'lamina.constraints' has no attribute '{name}'")
