"""Cosine-shaped schedules: one decay with an optional linear warmup, or decay with restarts
(SGDR, Loshchilov & Hutter 2016)."""

import math

import torch

from lamina.optimizers.schedules import learning_rate_schedule as base
from lamina.registry.export import keras_export


def _cosine_factor(completed_fraction, alpha):
    """Goes from 1 at fraction 0 to `alpha` at fraction 1 along half a cosine."""
    cosine = 0.5 * (1.0 + torch.cos(math.pi * completed_fraction))
    return (1.0 - alpha) * cosine + alpha


@keras_export("optimizers.schedules.CosineDecay")
class CosineDecay(base.LearningRateSchedule):
    """Optional linear warmup, then a cosine decay to `alpha` times the peak rate.

    Without `warmup_target`, the rate decays from `initial_learning_rate` over `decay_steps`.
    With it, the rate first climbs linearly from `initial_learning_rate` to `warmup_target` over
    `warmup_steps`, then decays from `warmup_target` over the next `decay_steps`.

    Example:

    ```python
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=1000, warmup_target=0.1, warmup_steps=100
    )
    ```
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        base.check_positive_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = base.step_as_float(step)
        if self.warmup_target is None:
            fraction = torch.clamp(step, max=self.decay_steps) / self.decay_steps
            return self.initial_learning_rate * _cosine_factor(fraction, self.alpha)
        step = torch.clamp(step, max=self.decay_steps + self.warmup_steps)
        # Both branches are computed and one is selected, so no value leaves the device.
        warmup_delta = self.warmup_target - self.initial_learning_rate
        warming = warmup_delta * (step / self.warmup_steps) + self.initial_learning_rate
        fraction = (step - self.warmup_steps) / self.decay_steps
        decaying = self.warmup_target * _cosine_factor(fraction, self.alpha)
        return torch.where(step < self.warmup_steps, warming, decaying)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


@keras_export("optimizers.schedules.CosineDecayRestarts")
class CosineDecayRestarts(base.LearningRateSchedule):
    """Cosine decay that restarts: period `i` lasts `first_decay_steps * t_mul**i` steps and
    starts from `initial_learning_rate * m_mul**i`; each period ends at `alpha` times its start.
    """

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        base.check_positive_steps("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        fraction = base.step_as_float(step) / self.first_decay_steps
        restart, fraction = self._position_in_period(fraction)
        peak_factor = torch.pow(self.m_mul, restart)
        cosine = 0.5 * peak_factor * (1.0 + torch.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def _position_in_period(self, fraction):
        """(index of the current period, fraction of it completed), from the fraction of the
        first period's length that has elapsed."""
        if self.t_mul == 1.0:
            restart = torch.floor(fraction)
            return restart, fraction - restart
        # Periods grow geometrically: period i starts at (1 - t_mul**i) / (1 - t_mul).
        # log(t_mul) in the schedule's float type, as Keras does: floor() is sensitive to rounding.
        log_t_mul = torch.log(torch.full_like(fraction, self.t_mul))
        restart = torch.floor(torch.log(1.0 - fraction * (1.0 - self.t_mul)) / log_t_mul)
        start = (1.0 - torch.pow(self.t_mul, restart)) / (1.0 - self.t_mul)
        return restart, (fraction - start) / torch.pow(self.t_mul, restart)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
