"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

import torch

from lamina.optimizers import optimizer, optimizer_arguments
from lamina.registry.export import keras_export


@keras_export("optimizers.RMSprop", aliases=("rmsprop",))
class RMSprop(optimizer.Optimizer):
    """RMSprop (Keras formulation).

    `velocity = rho * velocity + (1 - rho) * g**2`, then
    `w -= learning_rate * g / sqrt(velocity + epsilon)`. Note that epsilon sits *inside* the
    square root, unlike `torch.optim.RMSprop`. With `centered=True`, the running mean of `g` is
    tracked too and its square subtracted from `velocity` (an estimate of the variance). With
    `momentum > 0`, the step is accumulated: `m = momentum * m + step; w -= m`.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        rho: Discount factor of the running mean of squared gradients. Defaults to 0.9.
        momentum: Defaults to 0.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        centered: Whether to normalize by the estimated variance instead of the second moment.
        **kwargs: The base optimizer arguments, see `Optimizer`.
    """

    def __init__(
        self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        optimizer_arguments.check_decay_rates("RMSprop()", rho=rho, momentum=momentum)
        optimizer_arguments.check_non_negative("RMSprop()", epsilon=epsilon)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(variables, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(variables, "average_gradient")

    def _update_group(self, group, grads, learning_rate):
        rho = self.rho
        velocities = group.take(self._velocities)
        torch._foreach_mul_(velocities, rho)
        torch._foreach_add_(velocities, torch._foreach_mul(grads, grads), alpha=1 - rho)
        if self.centered:
            average_grads = group.take(self._average_gradients)
            torch._foreach_mul_(average_grads, rho)
            torch._foreach_add_(average_grads, grads, alpha=1 - rho)
            denominators = torch._foreach_sub(
                velocities, torch._foreach_mul(average_grads, average_grads)
            )
            torch._foreach_add_(denominators, self.epsilon)
        else:
            denominators = torch._foreach_add(velocities, self.epsilon)
        torch._foreach_sqrt_(denominators)
        increments = torch._foreach_div(torch._foreach_mul(grads, learning_rate), denominators)
        if self.momentum > 0:
            momentums = group.take(self._momentums)
            torch._foreach_mul_(momentums, self.momentum)
            torch._foreach_add_(momentums, increments)
            increments = momentums
        torch._foreach_sub_(group.variables, increments)

    def get_config(self):
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
