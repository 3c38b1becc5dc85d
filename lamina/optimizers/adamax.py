"""Adamax: Adam with the infinity norm in place of the second moment."""

import torch

from lamina.optimizers import optimizer, optimizer_arguments
from lamina.registry.export import keras_export


@keras_export("optimizers.Adamax", aliases=("adamax",))
class Adamax(optimizer.Optimizer):
    """Adamax (Kingma & Ba, 2014, section 7).

    `m += (1 - beta_1) * (g - m)`, `u = max(beta_2 * u, |g|)`, then
    `w -= learning_rate * m / ((1 - beta_1**t) * (u + epsilon))`.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Decay rate of the first-moment estimate. Defaults to 0.9.
        beta_2: Decay rate of the weighted infinity norm. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The base optimizer arguments, see `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        optimizer_arguments.check_decay_rates("Adamax()", beta_1=beta_1, beta_2=beta_2)
        optimizer_arguments.check_non_negative("Adamax()", epsilon=epsilon)
        self.epsilon = epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._m, self._u = self.add_optimizer_variables(variables, ["momentum", "norm"])

    def _update_group(self, group, grads, learning_rate):
        bias_correction = 1 - torch.pow(self.beta_1, self._local_step(group))
        momentums = group.take(self._m)
        norms = group.take(self._u)
        torch._foreach_lerp_(momentums, grads, 1 - self.beta_1)
        torch._foreach_mul_(norms, self.beta_2)
        torch._foreach_maximum_(norms, torch._foreach_abs(grads))
        denominators = torch._foreach_add(norms, self.epsilon)
        torch._foreach_mul_(denominators, bias_correction)
        updates = torch._foreach_div(torch._foreach_mul(momentums, learning_rate), denominators)
        torch._foreach_sub_(group.variables, updates)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
