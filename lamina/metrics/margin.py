"""Hinge metrics: running means of the hinge losses."""

from lamina.losses import margin
from lamina.metrics.reduction import BuiltinMeanMetric
from lamina.saving.object_registry import register_builtin


@register_builtin("metrics")
class Hinge(BuiltinMeanMetric):
    """Running mean of the hinge loss."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(margin.hinge, name=name, dtype=dtype)


@register_builtin("metrics")
class SquaredHinge(BuiltinMeanMetric):
    """Running mean of the squared hinge loss."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(margin.squared_hinge, name=name, dtype=dtype)


@register_builtin("metrics")
class CategoricalHinge(BuiltinMeanMetric):
    """Running mean of the categorical hinge loss."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(margin.categorical_hinge, name=name, dtype=dtype)
