"""Schedule-Free AdamW: no learning-rate schedule needed (Defazio et al., 2024)."""

import torch

from lamina.optimizers import optimizer
from lamina.registry.export import keras_export


@keras_export("optimizers.ScheduleFreeAdamW", aliases=("schedulefreeadamw",))
class ScheduleFreeAdamW(optimizer.Optimizer):
    """Schedule-Free AdamW (Keras formulation).

    Three sequences replace the schedule: `z` (the "momentum" slot, where the Adam-scaled
    gradient steps land), `x` (the running average of the `z`s) and `y`, the point where
    gradients are taken, `y = (1 - beta_1) * z + beta_1 * x`. The model's weights hold `y`.
    Each step, with `t` the step number:

    - `v` moves towards `g**2` at rate `1 - beta_2`; `z -= lr * g / (sqrt(v / (1 - beta_2**t))
      + epsilon)`, with `lr` ramped up linearly over the first `warmup_steps` steps;
    - `x` is recovered from the weights and the previous `z`, then averaged:
      `x = (1 - 1/t) * x + z / t`;
    - the weights become `(1 - beta_1) * z + beta_1 * x`.

    As in Keras, the weights always hold `y`: nothing is swapped for evaluation, and `fit`,
    `evaluate` and `predict` all use `y`. The paper evaluates at `x`; `averaged_weights()`
    computes it, for example to copy into a model before evaluating.
    (Keras 3.15 on its torch backend reads the new `z` where the previous one is meant; lamina
    follows the JAX/TensorFlow backends and the paper.)

    Args:
        learning_rate: Float or schedule. Defaults to 0.0025.
        beta_1: Interpolation between `z` and `x` (the role of Adam's momentum). Defaults to
            0.9.
        beta_2: Decay rate of the second-moment estimate. Defaults to 0.999.
        epsilon: Added to the bias-corrected `sqrt(v)`. Defaults to 1e-8.
        warmup_steps: Number of steps over which the learning rate rises linearly from
            `learning_rate / warmup_steps` to `learning_rate`. Defaults to 0 (no warmup).
        **kwargs: The base optimizer arguments, see `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.0025,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        warmup_steps=0,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"]
        )
        with torch.no_grad():  # z starts at the initial weights
            torch._foreach_copy_(self._momentums, [v.detach() for v in variables])

    def _update_group(self, group, grads, learning_rate):
        step = self._local_step(group)
        if self.warmup_steps > 0:
            learning_rate = learning_rate * torch.clamp(step / self.warmup_steps, max=1.0)
        # Keras casts the betas to the variables' dtype first, so `1 - beta` is rounded there.
        beta_1, beta_2 = (torch.tensor(b, dtype=group.dtype, device=group.device)
                          for b in (self.beta_1, self.beta_2))
        momentums = group.take(self._momentums)
        velocities = group.take(self._velocities)
        variables = group.variables

        # x_old = (y - (1 - beta_1) * z_old) / beta_1, before z moves.
        averages = torch._foreach_mul(momentums, 1 - beta_1)
        torch._foreach_sub_(averages, variables)
        torch._foreach_div_(averages, -beta_1)

        torch._foreach_lerp_(velocities, torch._foreach_mul(grads, grads), 1 - beta_2)
        denominators = torch._foreach_div(velocities, 1 - torch.pow(beta_2, step))
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        steps = torch._foreach_mul(grads, learning_rate)
        torch._foreach_div_(steps, denominators)
        torch._foreach_sub_(momentums, steps)

        weight = 1.0 / step
        torch._foreach_mul_(averages, 1 - weight)
        torch._foreach_add_(averages, torch._foreach_mul(momentums, weight))
        torch._foreach_mul_(averages, beta_1)
        torch._foreach_copy_(variables, torch._foreach_add(averages, torch._foreach_mul(
            momentums, 1 - beta_1)))

    @torch.no_grad()
    def averaged_weights(self):
        """The averaged sequence `x = (y - (1 - beta_1) * z) / beta_1`, one tensor per built
        variable (new tensors; the model is not changed). Keras has no such method."""
        return [
            (variable - (1 - self.beta_1) * momentum) / self.beta_1
            for variable, momentum in zip(self._trainable_variables, self._momentums)
        ]

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "warmup_steps": self.warmup_steps,
        }
