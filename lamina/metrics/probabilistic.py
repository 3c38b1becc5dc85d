"""Probabilistic metrics: running means of the crossentropies, KL divergence and Poisson."""

from lamina.losses import crossentropy, probabilistic
from lamina.metrics.reduction import BuiltinMeanMetric
from lamina.registry.export import keras_export


@keras_export("metrics.BinaryCrossentropy", aliases=("bce", "BCE", "binary_crossentropy"))
class BinaryCrossentropy(BuiltinMeanMetric):
    """Running mean of the binary crossentropy."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(crossentropy.binary_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing


@keras_export("metrics.CategoricalCrossentropy", aliases=("categorical_crossentropy",))
class CategoricalCrossentropy(BuiltinMeanMetric):
    """Running mean of the categorical crossentropy (one-hot labels)."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(crossentropy.categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


@keras_export("metrics.SparseCategoricalCrossentropy", aliases=("sparse_categorical_crossentropy",))
class SparseCategoricalCrossentropy(BuiltinMeanMetric):
    """Running mean of the sparse categorical crossentropy (integer labels)."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(crossentropy.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis


@keras_export("metrics.KLDivergence", aliases=("kld", "KLD", "kl_divergence"))
class KLDivergence(BuiltinMeanMetric):
    """Running mean of the Kullback-Leibler divergence."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(probabilistic.kl_divergence, name=name, dtype=dtype)


@keras_export("metrics.Poisson", aliases=("poisson",))
class Poisson(BuiltinMeanMetric):
    """Running mean of the Poisson loss."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(probabilistic.poisson, name=name, dtype=dtype)
