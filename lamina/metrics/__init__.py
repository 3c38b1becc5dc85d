"""Metrics: the `Metric` classes, the metric functions, and `get` / `serialize` / `deserialize`."""

from lamina.losses.crossentropy import binary_crossentropy as binary_crossentropy
from lamina.losses.crossentropy import binary_focal_crossentropy as binary_focal_crossentropy
from lamina.losses.crossentropy import categorical_crossentropy as categorical_crossentropy
from lamina.losses.crossentropy import (
    categorical_focal_crossentropy as categorical_focal_crossentropy,
)
from lamina.losses.crossentropy import (
    sparse_categorical_crossentropy as sparse_categorical_crossentropy,
)
from lamina.losses.margin import categorical_hinge as categorical_hinge
from lamina.losses.margin import hinge as hinge
from lamina.losses.margin import squared_hinge as squared_hinge
from lamina.losses.probabilistic import kl_divergence as kl_divergence
from lamina.losses.probabilistic import poisson as poisson
from lamina.losses.regression import huber as huber
from lamina.losses.regression import log_cosh as log_cosh
from lamina.losses.regression import mean_absolute_error as mean_absolute_error
from lamina.losses.regression import (
    mean_absolute_percentage_error as mean_absolute_percentage_error,
)
from lamina.losses.regression import mean_squared_error as mean_squared_error
from lamina.losses.regression import (
    mean_squared_logarithmic_error as mean_squared_logarithmic_error,
)
from lamina.metrics.accuracy import Accuracy as Accuracy
from lamina.metrics.accuracy import BinaryAccuracy as BinaryAccuracy
from lamina.metrics.accuracy import CategoricalAccuracy as CategoricalAccuracy
from lamina.metrics.accuracy import SparseCategoricalAccuracy as SparseCategoricalAccuracy
from lamina.metrics.accuracy import (
    SparseTopKCategoricalAccuracy as SparseTopKCategoricalAccuracy,
)
from lamina.metrics.accuracy import TopKCategoricalAccuracy as TopKCategoricalAccuracy
from lamina.metrics.accuracy import binary_accuracy as binary_accuracy
from lamina.metrics.accuracy import categorical_accuracy as categorical_accuracy
from lamina.metrics.accuracy import sparse_categorical_accuracy as sparse_categorical_accuracy
from lamina.metrics.accuracy import (
    sparse_top_k_categorical_accuracy as sparse_top_k_categorical_accuracy,
)
from lamina.metrics.accuracy import top_k_categorical_accuracy as top_k_categorical_accuracy
from lamina.metrics.auc import AUC as AUC
from lamina.metrics.compile_resolution import accuracy_for_shapes as accuracy_for_shapes
from lamina.metrics.compile_resolution import resolve_compile_metric as resolve_compile_metric
from lamina.metrics.confusion import FalseNegatives as FalseNegatives
from lamina.metrics.confusion import FalsePositives as FalsePositives
from lamina.metrics.confusion import Precision as Precision
from lamina.metrics.confusion import Recall as Recall
from lamina.metrics.confusion import TrueNegatives as TrueNegatives
from lamina.metrics.confusion import TruePositives as TruePositives
from lamina.metrics.correlation import ConcordanceCorrelation as ConcordanceCorrelation
from lamina.metrics.correlation import PearsonCorrelation as PearsonCorrelation
from lamina.metrics.correlation import concordance_correlation as concordance_correlation
from lamina.metrics.correlation import pearson_correlation as pearson_correlation
from lamina.metrics.f_score import F1Score as F1Score
from lamina.metrics.f_score import FBetaScore as FBetaScore
from lamina.metrics.iou import BinaryIoU as BinaryIoU
from lamina.metrics.iou import IoU as IoU
from lamina.metrics.iou import MeanIoU as MeanIoU
from lamina.metrics.iou import OneHotIoU as OneHotIoU
from lamina.metrics.iou import OneHotMeanIoU as OneHotMeanIoU
from lamina.metrics.margin import CategoricalHinge as CategoricalHinge
from lamina.metrics.margin import Hinge as Hinge
from lamina.metrics.margin import SquaredHinge as SquaredHinge
from lamina.metrics.mean_tensor import MeanTensor as MeanTensor
from lamina.metrics.metric import Metric as Metric
from lamina.metrics.probabilistic import BinaryCrossentropy as BinaryCrossentropy
from lamina.metrics.probabilistic import CategoricalCrossentropy as CategoricalCrossentropy
from lamina.metrics.probabilistic import KLDivergence as KLDivergence
from lamina.metrics.probabilistic import Poisson as Poisson
from lamina.metrics.probabilistic import (
    SparseCategoricalCrossentropy as SparseCategoricalCrossentropy,
)
from lamina.metrics.r2_score import R2Score as R2Score
from lamina.metrics.reduction import Mean as Mean
from lamina.metrics.reduction import MeanMetricWrapper as MeanMetricWrapper
from lamina.metrics.reduction import Sum as Sum
from lamina.metrics.regression import CosineSimilarity as CosineSimilarity
from lamina.metrics.regression import LogCoshError as LogCoshError
from lamina.metrics.regression import MeanAbsoluteError as MeanAbsoluteError
from lamina.metrics.regression import (
    MeanAbsolutePercentageError as MeanAbsolutePercentageError,
)
from lamina.metrics.regression import MeanSquaredError as MeanSquaredError
from lamina.metrics.regression import (
    MeanSquaredLogarithmicError as MeanSquaredLogarithmicError,
)
from lamina.metrics.regression import RootMeanSquaredError as RootMeanSquaredError
from lamina.metrics.sensitivity_specificity import PrecisionAtRecall as PrecisionAtRecall
from lamina.metrics.sensitivity_specificity import RecallAtPrecision as RecallAtPrecision
from lamina.metrics.sensitivity_specificity import (
    SensitivityAtSpecificity as SensitivityAtSpecificity,
)
from lamina.metrics.sensitivity_specificity import (
    SpecificityAtSensitivity as SpecificityAtSensitivity,
)
from lamina.registry import serialization as _serialization
from lamina.registry.object_registry import register_builtin as _register_builtin
from lamina.utils.naming import to_snake_case as _to_snake_case

# Keras also finds every metric class by its snake_case name: get("binary_accuracy") -> BinaryAccuracy().
for _cls in (Accuracy, AUC, BinaryAccuracy, BinaryCrossentropy, CategoricalAccuracy,
             CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, FalseNegatives,
             FalsePositives, Hinge, KLDivergence, LogCoshError, Mean, MeanAbsoluteError,
             MeanAbsolutePercentageError, MeanMetricWrapper, MeanSquaredError,
             MeanSquaredLogarithmicError, Metric, Poisson, Precision, Recall,
             RootMeanSquaredError, SparseCategoricalAccuracy, SparseCategoricalCrossentropy,
             SparseTopKCategoricalAccuracy, SquaredHinge, Sum, TopKCategoricalAccuracy,
             TrueNegatives, TruePositives,
             # F-scores, IoUs, rates at a constraint, R2, correlations (Keras snake_cases
             # "MeanIoU" as "mean_io_u"):
             BinaryIoU, ConcordanceCorrelation, F1Score, FBetaScore, IoU, MeanIoU, MeanTensor,
             OneHotIoU, OneHotMeanIoU, PearsonCorrelation, PrecisionAtRecall, R2Score,
             RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity):
    _register_builtin("metrics", _to_snake_case(_cls.__name__))(_cls)
del _cls


def get(identifier):
    """A metric from a name, config dict, class, instance or function.

    Names give instances, as in Keras: `get("mae")` -> `MeanAbsoluteError()`,
    `get("binary_accuracy")` -> `BinaryAccuracy()`. Functions are returned as they are.
    """
    return _serialization.resolve("metrics", identifier, "metric")


def serialize(metric):
    return _serialization.serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    return _serialization.deserialize_keras_object(
        config, package="metrics", custom_objects=custom_objects, what="metric"
    )
