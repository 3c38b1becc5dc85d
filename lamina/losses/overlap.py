"""Overlap losses for segmentation: Dice and Tversky (1 - a soft overlap ratio).

`axis` says which axes one overlap is measured over: None (the default) pools everything into
one value; `axis=(1, 2, 3)` gives one value per sample of `(N, H, W, C)` masks.
"""


from lamina import config
from lamina.losses.loss import float_pair
from lamina.losses.wrapper import BuiltinLoss
from lamina.registry.export import keras_export


def _sum(x, axis):
    if axis is None:
        return x.sum()
    return x.sum(dim=tuple(axis) if isinstance(axis, (list, tuple)) else axis)


@keras_export("losses.dice")
def dice(y_true, y_pred, axis=None):
    """1 - 2|y_true * y_pred| / (|y_true| + |y_pred|), sums over `axis` (all axes when None)."""
    y_true, y_pred = float_pair(y_true, y_pred)
    overlap = _sum(y_true * y_pred, axis)
    total = _sum(y_true, axis) + _sum(y_pred, axis) + config.epsilon()
    return 1 - 2.0 * overlap / total


@keras_export("losses.tversky")
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """1 - overlap / (overlap + alpha * missed + beta * extra), soft counts summed over `axis`
    (missed: sum(y_true * (1 - y_pred)); extra: sum((1 - y_true) * y_pred)), as Keras weighs them."""
    y_true, y_pred = float_pair(y_true, y_pred)
    overlap = _sum(y_true * y_pred, axis)
    missed = _sum(y_true * (1 - y_pred), axis)
    extra = _sum((1 - y_true) * y_pred, axis)
    return 1 - overlap / (overlap + alpha * missed + beta * extra + config.epsilon())


@keras_export("losses.Dice")
class Dice(BuiltinLoss):
    """The Dice loss (see `dice`); `axis` picks the axes one overlap is measured over."""

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)


@keras_export("losses.Tversky")
class Tversky(BuiltinLoss):
    """The Tversky loss (see `tversky`): Dice with separate weights for false positives
    (`alpha`) and false negatives (`beta`)."""

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)
        self.alpha, self.beta, self.axis = alpha, beta, axis

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)


