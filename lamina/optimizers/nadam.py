"""Nadam: Adam with Nesterov momentum (Dozat, 2016)."""

import numpy as np
import torch

from lamina.optimizers import optimizer, optimizer_arguments
from lamina.registry.export import keras_export

_MOMENTUM_DECAY = 0.96
_NUMPY_FLOATS = {torch.float32: np.float32, torch.float16: np.float16}


def _in_precision(value, dtype):
    """`value` rounded to `dtype` (float32 and float16; others are kept as they are)."""
    numpy_type = _NUMPY_FLOATS.get(dtype)
    return float(numpy_type(value)) if numpy_type else value


@keras_export("optimizers.Nadam", aliases=("nadam",))
class Nadam(optimizer.Optimizer):
    """Nadam (Keras formulation).

    Uses the momentum schedule `u_t = beta_1 * (1 - 0.5 * 0.96**t)` with `t` the step number
    (torch.optim.NAdam uses `0.96**(0.004 * t)`, so the two differ) and tracks the running
    product of the `u_t` as an extra optimizer variable.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Decay rate of the first-moment estimate. Defaults to 0.9.
        beta_2: Decay rate of the second-moment estimate. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The base optimizer arguments, see `Optimizer`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        optimizer_arguments.check_decay_rates("Nadam()", beta_1=beta_1, beta_2=beta_2)
        optimizer_arguments.check_non_negative("Nadam()", epsilon=epsilon)
        self.epsilon = epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"]
        )
        dtype = variables[0].dtype if variables else None
        self._u_product = self.add_variable((), initializer=1.0, dtype=dtype, name="u_product")

    def _momentum_at(self, step):
        return self.beta_1 * (1.0 - 0.5 * torch.pow(_MOMENTUM_DECAY, step))

    def _update_groups(self, groups, grads, learning_rate):
        # The product of the momentum schedule advances once per step, before any group update.
        step = (self._update_count() + 1).to(self._u_product.dtype)
        self._u_product.mul_(self._momentum_at(step))
        super()._update_groups(groups, grads, learning_rate)

    def _update_group(self, group, grads, learning_rate):
        step = self._local_step(group)
        momentum_now = self._momentum_at(step)
        momentum_next = self._momentum_at(step + 1)
        product_now = group.cast(self._u_product)
        product_next = product_now * momentum_next
        bias_correction_2 = 1 - torch.pow(self.beta_2, step)

        momentums = group.take(self._momentums)
        velocities = group.take(self._velocities)
        # 1 - beta in the variables' precision, as Keras computes it: 1 - float32(0.999) is
        # 1.3e-5 off 0.001, and the same error in `bias_correction_2` then cancels out.
        beta_1, beta_2 = (_in_precision(beta, group.dtype) for beta in (self.beta_1, self.beta_2))
        torch._foreach_lerp_(momentums, grads, 1 - beta_1)
        torch._foreach_lerp_(velocities, torch._foreach_mul(grads, grads), 1 - beta_2)
        # Nesterov: mix the updated momentum (looking one step ahead) with the raw gradient.
        m_hat = torch._foreach_mul(momentums, momentum_next / (1 - product_next))
        gradient_weight = (1 - momentum_now) / (1 - product_now)
        torch._foreach_add_(m_hat, torch._foreach_mul(grads, gradient_weight))
        denominators = torch._foreach_div(velocities, bias_correction_2)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        updates = torch._foreach_div(torch._foreach_mul(m_hat, learning_rate), denominators)
        torch._foreach_sub_(group.variables, updates)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
