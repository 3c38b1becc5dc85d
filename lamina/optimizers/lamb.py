"""Lamb: Adam with a layer-wise trust ratio (You et al., 2019), for large-batch training."""

import torch

from lamina.optimizers import optimizer, optimizer_arguments
from lamina.registry.export import keras_export


@keras_export("optimizers.Lamb", aliases=("lamb",))
class Lamb(optimizer.Optimizer):
    """Lamb (Layer-wise Adaptive Moments optimizer for Batch training).

    The Adam direction `r = m_hat / (sqrt(v_hat) + epsilon)` (both moments bias-corrected) is
    rescaled per variable by the trust ratio `||w|| / ||r||` (1 when either norm is 0), so every
    layer moves by about `learning_rate` times its own size:
    `w -= learning_rate * ||w|| / ||r|| * r`.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Decay rate of the first-moment estimate. Defaults to 0.9.
        beta_2: Decay rate of the second-moment estimate. Defaults to 0.999.
        epsilon: Small constant added to the bias-corrected `sqrt(v)`. Defaults to 1e-7.
        **kwargs: The base optimizer arguments, see `Optimizer`.

    Keras's `optimizers.get` does not know the name "lamb"; lamina accepts it too.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        optimizer_arguments.check_decay_rates("Lamb()", beta_1=beta_1, beta_2=beta_2)
        self.epsilon = epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"]
        )

    def _update_group(self, group, grads, learning_rate):
        step = self._local_step(group)
        momentums = group.take(self._momentums)
        velocities = group.take(self._velocities)
        torch._foreach_lerp_(momentums, grads, 1 - self.beta_1)
        torch._foreach_lerp_(velocities, torch._foreach_mul(grads, grads), 1 - self.beta_2)

        denominators = torch._foreach_div(velocities, 1 - torch.pow(self.beta_2, step))
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        updates = torch._foreach_div(momentums, 1 - torch.pow(self.beta_1, step))
        torch._foreach_div_(updates, denominators)

        weight_norms = torch.stack(torch._foreach_norm(group.variables))
        update_norms = torch.stack(torch._foreach_norm(updates))
        usable = (weight_norms > 0) & (update_norms > 0)
        ratios = torch.where(usable, weight_norms / update_norms, torch.ones_like(weight_norms))
        torch._foreach_mul_(updates, list(torch.unbind(ratios * learning_rate)))
        torch._foreach_sub_(group.variables, updates)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
