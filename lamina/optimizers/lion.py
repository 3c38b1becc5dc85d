"""Lion: sign-based updates from interpolated momentum (Chen et al., 2023)."""

import torch

from lamina.optimizers import optimizer, optimizer_arguments
from lamina.registry.export import keras_export


@keras_export("optimizers.Lion", aliases=("lion",))
class Lion(optimizer.Optimizer):
    """Lion (EvoLved Sign Momentum).

    `w -= learning_rate * sign(beta_1 * m + (1 - beta_1) * g)`, then
    `m = beta_2 * m + (1 - beta_2) * g`. Every element moves by exactly the learning rate, so
    Lion usually wants a learning rate 3-10x smaller than Adam's.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Interpolation factor for the update direction, in (0, 1]. Defaults to 0.9.
        beta_2: Decay rate of the momentum. Defaults to 0.99.
        **kwargs: The base optimizer arguments, see `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(
                "Argument `beta_1` must be in the (0, 1] range; at 0 Lion degenerates to "
                f"SignSGD. Received: beta_1={beta_1}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        optimizer_arguments.check_decay_rates("Lion()", beta_2=beta_2)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(variables, "momentum")

    def _update_group(self, group, grads, learning_rate):
        momentums = group.take(self._momentums)
        directions = torch._foreach_mul(momentums, self.beta_1)
        torch._foreach_add_(directions, grads, alpha=1 - self.beta_1)
        torch._foreach_sign_(directions)
        torch._foreach_mul_(directions, learning_rate)
        torch._foreach_sub_(group.variables, directions)
        torch._foreach_mul_(momentums, self.beta_2)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
