"""Weight constraints: projections applied to a weight after each optimizer step.

`constraint(w)` returns the constrained tensor (on `w`'s device). Norms are taken over `axis`
(an int or a list of ints), Keras's default being axis 0: for a Dense kernel `(in, out)`, each
unit's incoming weight vector. Keras adds `epsilon()` (1e-7) to the norm before dividing.
"""

import torch

from lamina import config
from lamina.registry.export import keras_export


@keras_export("constraints.Constraint", aliases=("constraint",))
class Constraint:
    """Base class, and the identity constraint. Subclasses implement `__call__(w)`."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def _norms(w, axis):
    """L2 norms over `axis`, kept broadcastable against `w`."""
    dim = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return torch.sqrt(torch.sum(torch.square(w), dim=dim, keepdim=True))


def _as_float_tensor(w):
    w = torch.as_tensor(w)
    return w if w.is_floating_point() else w.to(config.to_torch_dtype(None))


@keras_export("constraints.MaxNorm", "constraints.max_norm")
class MaxNorm(Constraint):
    """Rescales weight vectors whose L2 norm exceeds `max_value`; shorter ones are kept.

    Args:
        max_value: Largest allowed norm.
        axis: Axis (or list of axes) to compute the norm over.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = _as_float_tensor(w)
        norms = _norms(w, self.axis)
        desired = torch.clamp(norms, 0, self.max_value)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@keras_export("constraints.MinMaxNorm", "constraints.min_max_norm")
class MinMaxNorm(Constraint):
    """Moves weight-vector norms into `[min_value, max_value]`, by a fraction `rate` of the way.

    `rate=1.0` enforces the bounds strictly; smaller rates move the norms only partly each step.

    Args:
        min_value: Smallest allowed norm.
        max_value: Largest allowed norm.
        rate: Fraction of the way to move towards the bounds.
        axis: Axis (or list of axes) to compute the norm over.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = _as_float_tensor(w)
        norms = _norms(w, self.axis)
        clipped = torch.clamp(norms, self.min_value, self.max_value)
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


@keras_export("constraints.NonNeg", "constraints.non_neg")
class NonNeg(Constraint):
    """Sets negative weights to 0."""

    def __call__(self, w):
        return torch.clamp(torch.as_tensor(w), min=0)


@keras_export("constraints.UnitNorm", "constraints.unit_norm")
class UnitNorm(Constraint):
    """Divides each weight vector by its L2 norm (plus epsilon).

    Args:
        axis: Axis (or list of axes) to compute the norm over.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _as_float_tensor(w)
        return w / (config.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}
