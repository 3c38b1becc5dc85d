"""FTRL-Proximal: Follow The Regularized Leader (McMahan et al., 2013)."""

import torch

from lamina.optimizers import optimizer
from lamina.registry.export import keras_export


@keras_export("optimizers.Ftrl", aliases=("ftrl",))
class Ftrl(optimizer.Optimizer):
    """FTRL-Proximal, made for shallow models over large sparse feature spaces (click-through
    rate prediction).

    Each variable keeps an accumulator `n` (sum of squared gradients) and a linear term `z`.
    With `p = -learning_rate_power`:
    `z += g' - (n_new**p - n**p) / learning_rate * w` where `g' = g + 2 * l2_shrinkage * w`,
    then the weight is solved in closed form:
    `w = (clip(z, -l1, l1) - z) / (n_new**p / learning_rate + 2 * (l2 + beta / (2 * lr)))`,
    which is exactly 0 wherever `|z| <= l1` (L1 gives sparse weights).

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        learning_rate_power: Float <= 0: how the per-coordinate step size shrinks as the
            accumulator grows (-0.5: like Adagrad; 0: a fixed step). Defaults to -0.5.
        initial_accumulator_value: Starting value of the accumulators, >= 0. Defaults to 0.1.
        l1_regularization_strength: L1 strength, >= 0. Defaults to 0.
        l2_regularization_strength: L2 strength of the stabilizing proximal term, >= 0.
            Defaults to 0.
        l2_shrinkage_regularization_strength: L2 penalty added to the loss (magnitude
            shrinkage: adds `2 * strength * w` to the gradient), >= 0. Defaults to 0.
        beta: The paper's beta, added to the L2 strength as `beta / (2 * learning_rate)`.
            Defaults to 0.
        **kwargs: The base optimizer arguments, see `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if learning_rate_power > 0:
            raise ValueError(
                "Ftrl: `learning_rate_power` must be negative or zero. "
                f"Received: learning_rate_power={learning_rate_power}"
            )
        for name, value in [
            ("initial_accumulator_value", initial_accumulator_value),
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ]:
            if value < 0:
                raise ValueError(
                    f"Ftrl: `{name}` must be positive or zero. Received: {name}={value}"
                )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._accumulators, self._linears = [], []
        for variable in variables:  # Keras's save order: both slots of a variable, in turn
            self._accumulators.append(self.add_variable_from_reference(
                variable, "accumulator", initializer=float(self.initial_accumulator_value)))
            self._linears.append(self.add_variable_from_reference(variable, "linear"))

    def _update_group(self, group, grads, learning_rate):
        power = -self.learning_rate_power
        accumulators = group.take(self._accumulators)
        linears = group.take(self._linears)
        variables = group.variables

        new_accumulators = torch._foreach_addcmul(accumulators, grads, grads)
        new_powers = torch._foreach_pow(new_accumulators, power)
        # z += (g + 2 * shrinkage * w) - (n_new**p - n**p) / lr * w
        sigmas = torch._foreach_sub(new_powers, torch._foreach_pow(accumulators, power))
        torch._foreach_div_(sigmas, learning_rate)
        steps = torch._foreach_mul(sigmas, variables)
        shrinkage = 2 * self.l2_shrinkage_regularization_strength
        gradients = torch._foreach_add(grads, variables, alpha=shrinkage) if shrinkage else grads
        torch._foreach_add_(linears, torch._foreach_sub(gradients, steps))

        l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)
        quadratics = torch._foreach_div(new_powers, learning_rate)
        torch._foreach_add_(quadratics, 2 * l2)
        l1 = self.l1_regularization_strength
        for variable, linear, quadratic in zip(variables, linears, quadratics):
            variable.copy_((linear.clamp(-l1, l1) - linear) / quadratic)
        torch._foreach_copy_(accumulators, new_accumulators)

    def get_config(self):
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }

