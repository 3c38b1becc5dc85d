"""Hinge metrics: running means of the hinge losses."""

from lamina.losses import margin
from lamina.metrics.reduction import BuiltinMeanMetric
from lamina.registry.export import keras_export


@keras_export("metrics.Hinge", aliases=("hinge",))
class Hinge(BuiltinMeanMetric):
    """Running mean of the hinge loss."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(margin.hinge, name=name, dtype=dtype)


@keras_export("metrics.SquaredHinge", aliases=("squared_hinge",))
class SquaredHinge(BuiltinMeanMetric):
    """Running mean of the squared hinge loss."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(margin.squared_hinge, name=name, dtype=dtype)


@keras_export("metrics.CategoricalHinge", aliases=("categorical_hinge",))
class CategoricalHinge(BuiltinMeanMetric):
    """Running mean of the categorical hinge loss."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(margin.categorical_hinge, name=name, dtype=dtype)
