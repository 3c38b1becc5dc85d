"""Adam: adaptive moment estimation (Kingma & Ba, 2014)."""

import torch

from lamina.optimizers import fused_adam, optimizer, optimizer_arguments
from lamina.registry.export import keras_export


@keras_export("optimizers.Adam", aliases=("adam",))
class Adam(optimizer.Optimizer):
    """Adam (Keras formulation).

    `m += (1 - beta_1) * (g - m)`, `v += (1 - beta_2) * (g**2 - v)`, then
    `w -= learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)`.
    Epsilon is added to the *uncorrected* `sqrt(v)` ("epsilon hat" of the paper), unlike
    `torch.optim.Adam`; the two agree as epsilon goes to 0.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Decay rate of the first-moment estimate. Defaults to 0.9.
        beta_2: Decay rate of the second-moment estimate. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        amsgrad: Use the AMSGrad variant (divide by the running maximum of `v`).
        **kwargs: The base optimizer arguments, see `Optimizer`.
    """

    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        optimizer_arguments.check_decay_rates("Adam()", beta_1=beta_1, beta_2=beta_2)
        optimizer_arguments.check_non_negative("Adam()", epsilon=epsilon)
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"]
        )
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(variables, "velocity_hat")

    def _update_group(self, group, grads, learning_rate):
        orders = fused_adam.memory_orders(self, group, grads)
        if orders is not None:  # one pass over the weights instead of seven
            return fused_adam.update(self, group, grads, learning_rate, orders)
        step = self._local_step(group)
        bias_correction_1 = 1 - torch.pow(self.beta_1, step)
        bias_correction_2 = 1 - torch.pow(self.beta_2, step)
        step_size = learning_rate * torch.sqrt(bias_correction_2) / bias_correction_1

        momentums = group.take(self._momentums)
        velocities = group.take(self._velocities)
        torch._foreach_lerp_(momentums, grads, 1 - self.beta_1)
        torch._foreach_mul_(velocities, self.beta_2)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - self.beta_2)
        if self.amsgrad:
            velocity_hats = group.take(self._velocity_hats)
            torch._foreach_maximum_(velocity_hats, velocities)
            velocities = velocity_hats
        # w -= step_size * m / (sqrt(v) + eps), with step_size folded into the denominator so
        # that the last pass is one fused addcdiv.
        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_div_(denominators, step_size)
        torch._foreach_addcdiv_(group.variables, momentums, denominators, value=-1)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }
