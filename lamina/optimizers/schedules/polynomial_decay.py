"""A learning rate that falls polynomially to an end value over `decay_steps`."""

import torch

from lamina.optimizers.schedules import learning_rate_schedule as base
from lamina.registry.export import keras_export


@keras_export("optimizers.schedules.PolynomialDecay")
class PolynomialDecay(base.LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`, with `step` capped at
    `decay_steps`.

    With `cycle=True` the step is not capped; instead `decay_steps` grows to the first multiple of
    itself that is at least `step`, so the rate restarts from a lower peak each cycle.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        base.check_positive_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = base.step_as_float(step)
        decay_steps = torch.full_like(step, float(self.decay_steps))
        if self.cycle:
            cycles = torch.where(step == 0, 1.0, torch.ceil(step / self.decay_steps))
            decay_steps = decay_steps * cycles
        else:
            step = torch.minimum(step, decay_steps)
        remaining = 1.0 - step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * torch.pow(remaining, self.power) + self.end_learning_rate

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }
