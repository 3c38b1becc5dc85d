"""Stochastic gradient descent, with optional (Nesterov) momentum."""

import torch

from lamina.optimizers import optimizer
from lamina.registry.export import keras_export


@keras_export("optimizers.SGD", aliases=("sgd",))
class SGD(optimizer.Optimizer):
    """Gradient descent with momentum (Keras formulation).

    Without momentum: `w -= learning_rate * g`. With momentum:
    `velocity = momentum * velocity - learning_rate * g`, then `w += velocity`, or with
    `nesterov=True`, `w += momentum * velocity - learning_rate * g`.

    Args:
        learning_rate: Float or schedule. Defaults to 0.01.
        momentum: Float in [0, 1] that accelerates descent along steady directions. Defaults
            to 0 (plain gradient descent).
        nesterov: Whether to use Nesterov momentum.
        **kwargs: The base optimizer arguments (`weight_decay`, `clipnorm`, `clipvalue`,
            `global_clipnorm`, `use_ema`, ..., `name`), see `Optimizer`.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not (
            0 <= momentum <= 1
        ):
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def _update_group(self, group, grads, learning_rate):
        variables = group.variables
        steps = torch._foreach_mul(grads, learning_rate)
        if self.momentum == 0:
            torch._foreach_sub_(variables, steps)
            return
        momentums = group.take(self.momentums)
        torch._foreach_mul_(momentums, self.momentum)
        torch._foreach_sub_(momentums, steps)
        if self.nesterov:
            update = torch._foreach_mul(momentums, self.momentum)
            torch._foreach_sub_(update, steps)
            torch._foreach_add_(variables, update)
        else:
            torch._foreach_add_(variables, momentums)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
