"""Losses: the `Loss` classes, the loss functions, and `get` / `serialize` / `deserialize`."""

from lamina.losses.compile_resolution import crossentropy_for_shapes as crossentropy_for_shapes
from lamina.losses.compile_resolution import (
    is_binary_or_sparse_categorical as is_binary_or_sparse_categorical,
)
from lamina.losses.compile_resolution import resolve_compile_loss as resolve_compile_loss
from lamina.losses.circle import Circle as Circle
from lamina.losses.circle import circle as circle
from lamina.losses.crossentropy import BinaryCrossentropy as BinaryCrossentropy
from lamina.losses.crossentropy import BinaryFocalCrossentropy as BinaryFocalCrossentropy
from lamina.losses.crossentropy import CategoricalCrossentropy as CategoricalCrossentropy
from lamina.losses.crossentropy import (
    CategoricalFocalCrossentropy as CategoricalFocalCrossentropy,
)
from lamina.losses.crossentropy import (
    SparseCategoricalCrossentropy as SparseCategoricalCrossentropy,
)
from lamina.losses.crossentropy import binary_crossentropy as binary_crossentropy
from lamina.losses.crossentropy import binary_focal_crossentropy as binary_focal_crossentropy
from lamina.losses.crossentropy import categorical_crossentropy as categorical_crossentropy
from lamina.losses.crossentropy import (
    categorical_focal_crossentropy as categorical_focal_crossentropy,
)
from lamina.losses.crossentropy import (
    sparse_categorical_crossentropy as sparse_categorical_crossentropy,
)
from lamina.losses.ctc import CTC as CTC
from lamina.losses.ctc import ctc as ctc
from lamina.losses.margin import CategoricalHinge as CategoricalHinge
from lamina.losses.margin import Hinge as Hinge
from lamina.losses.margin import SquaredHinge as SquaredHinge
from lamina.losses.margin import categorical_hinge as categorical_hinge
from lamina.losses.margin import hinge as hinge
from lamina.losses.margin import squared_hinge as squared_hinge
from lamina.losses.generalized_crossentropy import (
    CategoricalGeneralizedCrossEntropy as CategoricalGeneralizedCrossEntropy,
)
from lamina.losses.generalized_crossentropy import (
    categorical_generalized_cross_entropy as categorical_generalized_cross_entropy,
)
from lamina.losses.loss import Loss as Loss
from lamina.losses.overlap import Dice as Dice
from lamina.losses.overlap import Tversky as Tversky
from lamina.losses.overlap import dice as dice
from lamina.losses.overlap import tversky as tversky
from lamina.losses.probabilistic import KLDivergence as KLDivergence
from lamina.losses.probabilistic import Poisson as Poisson
from lamina.losses.probabilistic import kl_divergence as kl_divergence
from lamina.losses.probabilistic import poisson as poisson
from lamina.losses.regression import CosineSimilarity as CosineSimilarity
from lamina.losses.regression import Huber as Huber
from lamina.losses.regression import LogCosh as LogCosh
from lamina.losses.regression import MeanAbsoluteError as MeanAbsoluteError
from lamina.losses.regression import (
    MeanAbsolutePercentageError as MeanAbsolutePercentageError,
)
from lamina.losses.regression import MeanSquaredError as MeanSquaredError
from lamina.losses.regression import (
    MeanSquaredLogarithmicError as MeanSquaredLogarithmicError,
)
from lamina.losses.regression import cosine_similarity as cosine_similarity
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
from lamina.losses.target_checks import check_targets as check_targets
from lamina.losses.wrapper import LossFunctionWrapper as LossFunctionWrapper
from lamina.registry import serialization as _serialization

# Keras 1/2 spellings still found in tutorials.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy


def get(identifier):
    """A loss from a name, config dict, class, instance or function.

    Names of functions give the function (`get("mse")` is `mean_squared_error`); class names
    give an instance (`get("MeanSquaredError")`), as in Keras.
    """
    return _serialization.resolve("losses", identifier, "loss")


def serialize(loss):
    return _serialization.serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    return _serialization.deserialize_keras_object(
        config, package="losses", custom_objects=custom_objects, what="loss"
    )
