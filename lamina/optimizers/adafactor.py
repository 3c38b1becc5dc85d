"""Adafactor: Adam-like steps with a factored second moment (Shazeer & Stern, 2018)."""

import torch

from lamina.optimizers import optimizer
from lamina.optimizers import slot_values
from lamina.registry.export import keras_export


@keras_export("optimizers.Adafactor", aliases=("adafactor",))
class Adafactor(optimizer.Optimizer):
    """Adafactor (Keras formulation).

    For a variable of 2 or more dimensions the second moment is not stored whole: a row
    average `r` (the last axis reduced) and a column average `c` (the second-to-last axis
    reduced) are kept, and `v = r / mean(r) (x) c`, so a `(n, m)` kernel costs `n + m` numbers
    of state instead of `n * m`. Smaller variables keep a full `v`. At step `t`:

    - `beta_2_t = 1 - t**beta_2_decay`; `r`, `c` (or `v`) move towards the means of
      `g**2 + epsilon_1` at that rate;
    - `u = g / sqrt(v)`, clipped: `u /= max(1, rms(u) / clip_threshold)`;
    - `w -= max(epsilon_2, rms(w)) * min(learning_rate, 1 / sqrt(t)) * u`: the step is
      relative to the weights' own scale.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_2_decay: Exponent of the decay of `beta_2`. Defaults to -0.8.
        epsilon_1: Added to the squared gradients, keeps `v` away from 0. Defaults to 1e-30.
        epsilon_2: Lower bound of the weights' scale, so that zero weights still move.
            Defaults to 1e-3.
        clip_threshold: Largest RMS of the update direction; part of the algorithm, unrelated
            to `clipnorm` and friends. Defaults to 1.0.
        relative_step: Cap the step size by `1 / sqrt(t)`. (Keras 3 caps it whatever this is,
            and so does lamina; the argument is kept for configs.) Defaults to True.
        **kwargs: The base optimizer arguments, see `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._rows, self._columns, self._velocities = [], [], []
        for index, variable in enumerate(variables):
            # Keras names the row and column slots after the variable, and gives variables of
            # fewer than 2 dimensions two int32 placeholders instead: they keep the save order.
            name = slot_values.variable_name(variable) or f"variable_{index}"
            shape = tuple(variable.shape)
            if len(shape) >= 2:
                row_shape, column_shape, dtype = shape[:-1], shape[:-2] + shape[-1:], variable.dtype
            else:
                row_shape, column_shape, dtype = (), (), torch.int32
            self._rows.append(self.add_variable(row_shape, dtype=dtype, name=name,
                                                device=variable.device))
            self._columns.append(self.add_variable(column_shape, dtype=dtype, name=name,
                                                   device=variable.device))
            self._velocities.append(self.add_variable_from_reference(variable, "velocity"))

    def _update_group(self, group, grads, learning_rate):
        step = self._local_step(group)
        step_size = torch.minimum(learning_rate, 1 / torch.sqrt(step))
        beta_2 = 1 - torch.pow(step, self.beta_2_decay)
        rows, columns = group.take(self._rows), group.take(self._columns)
        velocities = group.take(self._velocities)
        for variable, grad, row, column, velocity in zip(
            group.variables, grads, rows, columns, velocities
        ):
            scale = torch.clamp(_rms(variable), min=self.epsilon_2) * step_size
            squares = grad * grad + self.epsilon_1
            if variable.ndim >= 2:
                row.copy_(beta_2 * row + (1 - beta_2) * squares.mean(dim=-1))
                column.copy_(beta_2 * column + (1 - beta_2) * squares.mean(dim=-2))
                row_factor = row / row.mean(dim=-1, keepdim=True)
                velocity.copy_(row_factor.unsqueeze(-1) * column.unsqueeze(-2))
            else:
                velocity.copy_(beta_2 * velocity + (1 - beta_2) * squares)
            direction = grad / torch.sqrt(velocity)
            direction = direction / torch.clamp(_rms(direction) / self.clip_threshold, min=1.0)
            variable.sub_(scale * direction)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }


def _rms(x):
    return torch.sqrt(torch.mean(x * x))
