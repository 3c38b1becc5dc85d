"""Learning-rate schedules: pass one as `learning_rate=` to any optimizer."""

from lamina.optimizers.schedules.cosine_decay import CosineDecay as CosineDecay
from lamina.optimizers.schedules.cosine_decay import CosineDecayRestarts as CosineDecayRestarts
from lamina.optimizers.schedules.exponential_decay import ExponentialDecay as ExponentialDecay
from lamina.optimizers.schedules.exponential_decay import InverseTimeDecay as InverseTimeDecay
from lamina.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule as LearningRateSchedule,
)
from lamina.optimizers.schedules.learning_rate_schedule import deserialize as deserialize
from lamina.optimizers.schedules.learning_rate_schedule import serialize as serialize
from lamina.optimizers.schedules.piecewise_constant_decay import (
    PiecewiseConstantDecay as PiecewiseConstantDecay,
)
from lamina.optimizers.schedules.polynomial_decay import PolynomialDecay as PolynomialDecay
