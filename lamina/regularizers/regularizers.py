"""Weight penalties added to the training loss: L1, L2, L1L2 and OrthogonalRegularizer.

`regularizer(weight)` returns a scalar tensor on the weight's device, in the weight's dtype; the
factors stay Python floats so computing a penalty never syncs with the GPU.
"""

import math
import numbers

import torch

from lamina import config
from lamina.registry.export import keras_export


@keras_export("regularizers.Regularizer", "Regularizer", aliases=("regularizer",))
class Regularizer:
    """Base class. Subclasses implement `__call__(weight) -> scalar` and `get_config()`.

    Any function of one tensor that returns a scalar can also serve as a regularizer.
    """

    def __call__(self, x):
        return 0.0

    def get_config(self):
        raise NotImplementedError(
            f"{type(self).__name__} has no get_config(), so it cannot be saved. Add a "
            "get_config() that returns its constructor arguments as a dict."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        except NotImplementedError:
            arguments = ""
        return f"{type(self).__name__}({arguments})"


@keras_export("regularizers.L1L2", "regularizers.l1_l2", aliases=("l1l2",))
class L1L2(Regularizer):
    """`l1 * sum(abs(x)) + l2 * sum(square(x))`.

    Both factors default to 0 here (as in Keras); the string `"l1_l2"` gives 0.01 for each.
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = validate_factor(0.0 if l1 is None else l1, "l1")
        self.l2 = validate_factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        x = _as_tensor(x)
        penalty = x.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * torch.sum(torch.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * torch.sum(torch.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@keras_export("regularizers.L1", "regularizers.l1")
class L1(Regularizer):
    """`l1 * sum(abs(x))`, default factor 0.01."""

    def __init__(self, l1=0.01):
        self.l1 = validate_factor(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return self.l1 * torch.sum(torch.abs(_as_tensor(x)))

    def get_config(self):
        return {"l1": self.l1}


@keras_export("regularizers.L2", "regularizers.l2")
class L2(Regularizer):
    """`l2 * sum(square(x))`, default factor 0.01 (note: no factor 1/2, unlike weight decay)."""

    def __init__(self, l2=0.01):
        self.l2 = validate_factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return self.l2 * torch.sum(torch.square(_as_tensor(x)))

    def get_config(self):
        return {"l2": self.l2}


@keras_export("regularizers.OrthogonalRegularizer", "regularizers.orthogonal_regularizer")
class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2D weight towards being mutually orthogonal.

    The penalty is `factor` times the mean absolute cosine similarity over all pairs of
    distinct rows (`mode="rows"`) or columns (`mode="columns"`).

    Args:
        factor: Non-negative strength of the penalty.
        mode: "rows" or "columns".
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = validate_factor(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f'Invalid `mode`: {mode!r}. Expected "rows" or "columns".')
        self.mode = mode

    def __call__(self, x):
        x = _as_tensor(x)
        if x.ndim != 2:
            raise ValueError(
                "OrthogonalRegularizer applies to 2D weights (e.g. a Dense kernel). "
                f"Received a weight of shape {tuple(x.shape)}."
            )
        vectors = x if self.mode == "rows" else x.T
        vectors = _l2_normalize_rows(vectors)
        similarity = vectors @ vectors.T
        size = similarity.shape[0]
        off_diagonal = torch.abs(similarity).sum() - torch.abs(torch.diagonal(similarity)).sum()
        num_pairs = size * (size - 1) / 2.0
        return self.factor * 0.5 * off_diagonal / num_pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


def _l2_normalize_rows(x):
    # As Keras: multiply by rsqrt(sum of squares), capped at 1/epsilon so zero rows stay zero.
    inverse_norm = torch.rsqrt(torch.sum(torch.square(x), dim=1, keepdim=True))
    return x * torch.clamp(inverse_norm, max=1.0 / config.epsilon())


def validate_factor(value, name):
    """A penalty factor must be a finite, non-negative number; returned as a float."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument `{name}`: expected a non-negative float. "
            f"Received: {name}={value!r}."
        )
    return float(value)


def _as_tensor(x):
    """A weight given as a numpy array or list (a regularizer called directly) as a tensor."""
    if isinstance(x, torch.Tensor):
        return x
    from lamina import ops

    return ops.convert_to_tensor(x)
