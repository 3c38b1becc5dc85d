"""`keras.distillation`: train a small student model to imitate a frozen teacher."""

from lamina.distillation.distillation_loss import DistillationLoss as DistillationLoss
from lamina.distillation.distillation_loss import FeatureDistillation as FeatureDistillation
from lamina.distillation.distillation_loss import LogitsDistillation as LogitsDistillation
from lamina.distillation.distiller import Distiller as Distiller
