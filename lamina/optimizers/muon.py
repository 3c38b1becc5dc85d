"""Muon: momentum orthogonalized by Newton-Schulz iterations (Jordan et al., 2024), with AdamW
for the variables it does not suit."""

import re

import torch

from lamina.optimizers import optimizer
from lamina.optimizers import slot_values
from lamina.registry.export import keras_export


@keras_export("optimizers.Muon", aliases=("muon",))
class Muon(optimizer.Optimizer):
    """Muon for 2-D weights, AdamW for the rest (Keras formulation).

    A 2-D variable takes the Muon step: `m = momentum * m + g`; the direction
    `g + momentum * m` (Nesterov) or `m` is replaced by an approximately orthogonal matrix of the
    same shape (`ns_steps` quintic Newton-Schulz iterations with coefficients `muon_a`,
    `muon_b`, `muon_c`), and `w -= learning_rate * that * sqrt(max(rows, cols)) * rms_rate`
    (the last two factors only when `rms_rate` is set: they give the update Adam's typical
    size, so Muon can share Adam's learning rate and weight decay).

    Every other variable takes an AdamW step with `learning_rate * adam_lr_ratio`: variables
    that are not 2-D, those whose path contains "embedding" (with `exclude_embeddings`), and
    those whose path matches one of the regular expressions `exclude_layers` (pass the name of
    the output layer here, e.g. `["output_dense"]`). A variable's path is its layer's path
    plus its name, e.g. "dense/kernel".

    Weight decay is decoupled: `weight_decay` for Muon variables, `adam_weight_decay` for the
    AdamW ones (either can be None).

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        adam_beta_1: AdamW's first-moment decay rate. Defaults to 0.9.
        adam_beta_2: AdamW's second-moment decay rate. Defaults to 0.999.
        adam_weight_decay: Weight decay of the AdamW variables. Defaults to 0.004.
        epsilon: AdamW's epsilon, added to the uncorrected `sqrt(v)`. Defaults to 1e-7.
        weight_decay: Weight decay of the Muon variables. Defaults to 0.004.
        exclude_layers: Regular expressions; variables whose path matches one use AdamW.
        exclude_embeddings: Use AdamW for variables whose path contains "embedding".
            Defaults to True.
        muon_a, muon_b, muon_c: Coefficients of the Newton-Schulz iteration. Defaults to
            3.4445, -4.7750, 2.0315.
        adam_lr_ratio: AdamW's learning rate as a multiple of `learning_rate`. Defaults to 1.
        momentum: Momentum of the Muon variables. Defaults to 0.95.
        ns_steps: Number of Newton-Schulz iterations. Defaults to 5.
        nesterov: Use Nesterov momentum for the Muon variables. Defaults to True.
        rms_rate: Scale of the Muon update relative to `sqrt(max(rows, cols))` (Liu et al.,
            2025); None disables that scaling. Defaults to 0.2.
        **kwargs: The other base optimizer arguments, see `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.adam_weight_decay = adam_weight_decay
        self.epsilon = epsilon
        self.exclude_layers = list(exclude_layers or [])
        self.exclude_embeddings = exclude_embeddings
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable):
        if variable.ndim != 2:
            return True
        path = slot_values.variable_path(variable) or ""
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        # Slot order as Keras saves it: each variable's momentum, then its AdamW velocity.
        self._momentums, self._velocities = [], []
        for variable in variables:
            self._momentums.append(self.add_variable_from_reference(variable, "momentum"))
            use_adamw = self._should_use_adamw(variable)
            velocity = self.add_variable_from_reference(variable, "velocity") if use_adamw else None
            self._velocities.append(velocity)

    def _update(self, indices, grads):
        # The base step, with Muon's own weight decay: two rates, chosen per variable.
        grads = self._clip_gradients(grads)
        learning_rate = self._learning_rate_for_update()
        groups = self._groups_for(indices)
        for group in groups:
            for variable in group.decayed:
                uses_adamw = self._velocities[self._get_variable_index(variable)] is not None
                rate = self.adam_weight_decay if uses_adamw else self.weight_decay
                if rate is not None:
                    variable.mul_(1 - rate * group.cast(learning_rate))
        self._update_groups(groups, grads, learning_rate)
        for group in groups:
            for variable, constraint in group.constrained:
                variable.copy_(constraint(variable))

    def _update_group(self, group, grads, learning_rate):
        momentums, velocities = group.take(self._momentums), group.take(self._velocities)
        adam = [i for i, velocity in enumerate(velocities) if velocity is not None]
        if adam:
            self._adamw_step(
                [group.variables[i] for i in adam], [grads[i] for i in adam],
                [momentums[i] for i in adam], [velocities[i] for i in adam],
                learning_rate * self.adam_lr_ratio, self._local_step(group),
            )
        for variable, grad, momentum, velocity in zip(
            group.variables, grads, momentums, velocities
        ):
            if velocity is None:
                self._muon_step(variable, grad, momentum, learning_rate)

    def _adamw_step(self, variables, grads, momentums, velocities, learning_rate, step):
        step_size = (learning_rate * torch.sqrt(1 - torch.pow(self.adam_beta_2, step))
                     / (1 - torch.pow(self.adam_beta_1, step)))
        torch._foreach_lerp_(momentums, grads, 1 - self.adam_beta_1)
        torch._foreach_lerp_(velocities, torch._foreach_mul(grads, grads), 1 - self.adam_beta_2)
        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self.epsilon)
        updates = torch._foreach_mul(momentums, step_size)
        torch._foreach_div_(updates, denominators)
        torch._foreach_sub_(variables, updates)

    def _muon_step(self, variable, grad, momentum, learning_rate):
        momentum.add_(grad + momentum * (self.momentum - 1))
        direction = grad + self.momentum * momentum if self.nesterov else momentum
        update = learning_rate * self.zeropower_via_newtonschulz5(direction, self.ns_steps)
        variable.sub_(self.lr_adjust(update))

    def lr_adjust(self, x):
        """Scale a 2-D update by `sqrt(max(rows, cols)) * rms_rate` (unchanged if rms_rate is
        None), the Moonlight recipe that gives Muon updates Adam's typical size."""
        if self.rms_rate is None:
            return x
        return x * (max(x.shape[0], x.shape[1]) ** 0.5) * self.rms_rate

    def zeropower_via_newtonschulz5(self, x, steps):
        """An approximately orthogonal matrix with the singular vectors of `x` (the last two
        axes): `steps` quintic Newton-Schulz iterations after scaling `x` to norm <= 1."""
        if x.ndim < 2:
            raise ValueError(
                "Muon's Newton-Schulz iteration needs a matrix (at least 2 dimensions). "
                f"Received: shape={tuple(x.shape)}"
            )
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:  # iterate on the wide side: the Gram matrix x @ x^T is then the small one
            x = x.transpose(-2, -1)
        x = x / (torch.linalg.matrix_norm(x, keepdim=True) + 1e-7)
        for _ in range(steps):
            gram = x @ x.transpose(-2, -1)
            x = a * x + (b * gram + (c * gram) @ gram) @ x
        return x.transpose(-2, -1) if tall else x

    def get_config(self):
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }
