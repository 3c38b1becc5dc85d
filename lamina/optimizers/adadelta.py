"""Adadelta: steps scaled by the ratio of running RMS of updates to running RMS of gradients."""

import torch

from lamina.optimizers import optimizer, optimizer_arguments
from lamina.registry.export import keras_export


@keras_export("optimizers.Adadelta", aliases=("adadelta",))
class Adadelta(optimizer.Optimizer):
    """Adadelta (Zeiler, 2012), Keras formulation.

    `E[g2] = rho * E[g2] + (1 - rho) * g**2`;
    `delta = -sqrt(E[dx2] + epsilon) / sqrt(E[g2] + epsilon) * g`;
    `E[dx2] = rho * E[dx2] + (1 - rho) * delta**2`; `w += learning_rate * delta`.
    Same formula as `torch.optim.Adadelta`, but Keras's defaults: `learning_rate=0.001` (torch
    1.0), `rho=0.95` (torch 0.9), `epsilon=1e-7` (torch 1e-6).

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        rho: Decay rate of both running averages. Defaults to 0.95.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The base optimizer arguments, see `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        optimizer_arguments.check_decay_rates("Adadelta()", rho=rho)
        optimizer_arguments.check_non_negative("Adadelta()", epsilon=epsilon)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            variables, ["accumulated_grad", "accumulated_delta_var"]
        )

    def _update_group(self, group, grads, learning_rate):
        rho = self.rho
        mean_square_grads = group.take(self._accumulated_grads)
        mean_square_deltas = group.take(self._accumulated_delta_vars)
        torch._foreach_mul_(mean_square_grads, rho)
        torch._foreach_add_(mean_square_grads, torch._foreach_mul(grads, grads), alpha=1 - rho)

        rms_deltas = torch._foreach_sqrt(torch._foreach_add(mean_square_deltas, self.epsilon))
        rms_grads = torch._foreach_sqrt(torch._foreach_add(mean_square_grads, self.epsilon))
        deltas = torch._foreach_div(torch._foreach_mul(rms_deltas, grads), rms_grads)
        torch._foreach_neg_(deltas)

        torch._foreach_mul_(mean_square_deltas, rho)
        torch._foreach_add_(mean_square_deltas, torch._foreach_mul(deltas, deltas), alpha=1 - rho)
        torch._foreach_add_(group.variables, torch._foreach_mul(deltas, learning_rate))

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
