"""Adagrad: per-parameter learning rates that shrink with the sum of squared gradients."""

import torch

from lamina.optimizers import optimizer, optimizer_arguments
from lamina.registry.export import keras_export


@keras_export("optimizers.Adagrad", aliases=("adagrad",))
class Adagrad(optimizer.Optimizer):
    """Adagrad (Keras formulation).

    `accumulator += g**2`, then `w -= learning_rate * g / sqrt(accumulator + epsilon)`.
    Differs from `torch.optim.Adagrad`: the accumulator starts at 0.1 (not 0) and epsilon is
    inside the square root.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        initial_accumulator_value: Starting value of the accumulators. Defaults to 0.1.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The base optimizer arguments, see `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        optimizer_arguments.check_non_negative(
            "Adagrad()", initial_accumulator_value=initial_accumulator_value, epsilon=epsilon)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_optimizer_variables(
            variables, "accumulator", initializer=self.initial_accumulator_value
        )

    def _update_group(self, group, grads, learning_rate):
        accumulators = group.take(self._accumulators)
        torch._foreach_add_(accumulators, torch._foreach_mul(grads, grads))
        denominators = torch._foreach_add(accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        updates = torch._foreach_div(torch._foreach_mul(grads, learning_rate), denominators)
        torch._foreach_sub_(group.variables, updates)

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
