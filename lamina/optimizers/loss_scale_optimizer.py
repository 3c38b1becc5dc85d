"""Dynamic loss scaling around another optimizer, for float16 training."""

import collections

import torch

from lamina import stateless
from lamina import variables as lamina_variables
from lamina.optimizers import optimizer, stateless_apply
from lamina.registry import serialization
from lamina.registry.export import keras_export

# The base arguments Keras's LossScaleOptimizer configs may carry (older Keras wrote them all);
# only their defaults are accepted: the inner optimizer is where such settings belong.
_BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


@keras_export("optimizers.LossScaleOptimizer", "mixed_precision.LossScaleOptimizer")
class LossScaleOptimizer(optimizer.Optimizer):
    """Wraps an optimizer with dynamic loss scaling, so float16 gradients do not underflow.

    `scale_loss(loss)` multiplies the loss by the current scale before the backward pass, so
    the gradients come out scaled by it too; `apply` divides them by the scale and hands them
    to the inner optimizer. The scale adapts:

    - a step whose gradients contain an inf or NaN is skipped (the weights, the inner
      optimizer and its `iterations` are untouched) and the scale is halved;
    - after `dynamic_growth_steps` finite steps in a row the scale is doubled.

    `learning_rate` and `iterations` are the inner optimizer's. The scale and the count of
    finite steps are optimizer variables (`dynamic_scale`, `step_counter`), saved with the
    others in Keras's order: this optimizer's, then the inner one's.

    Whatever computes the gradients must multiply the loss by `optimizer.scale_loss(loss)`
    before `backward()`, as Keras's `fit` does; a custom training loop must do the same.

    Args:
        inner_optimizer: The optimizer to wrap (its own `loss_scale_factor` is turned off).
        initial_scale: The first loss scale; better too high than too low, since it halves
            at once but doubles only every `dynamic_growth_steps`. Defaults to 2**15.
        dynamic_growth_steps: Number of finite steps after which the scale doubles.
            Defaults to 2000.
        name: Name of the optimizer.
    """

    def __init__(
        self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None,
        **kwargs,
    ):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`; for a fixed scale, set "
                "`loss_scale_factor` on the inner optimizer instead."
            )
        for argument, default in _BASE_DEFAULTS.items():
            if argument in kwargs and kwargs.pop(argument) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{argument}`. Set `{argument}` on "
                    "the inner optimizer instead."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support the arguments {sorted(kwargs)}. It takes "
                "`inner_optimizer`, `initial_scale`, `dynamic_growth_steps` and `name`."
            )
        if not isinstance(inner_optimizer, optimizer.Optimizer):
            raise TypeError(
                "LossScaleOptimizer wraps a lamina optimizer instance, e.g. "
                "`LossScaleOptimizer(keras.optimizers.Adam())`. "
                f"Received: inner_optimizer={inner_optimizer!r}"
            )
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise ValueError("LossScaleOptimizer cannot wrap another LossScaleOptimizer.")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        # The inner optimizer must not unscale the gradients a second time.
        self.inner_optimizer.loss_scale_factor = None

    def build(self, variables):
        if self.built:
            return
        variables = list(variables)
        super().build(variables)
        self.step_counter = self.add_variable((), dtype="int64", name="step_counter")
        self.dynamic_scale = self.add_variable(
            (), initializer=float(self.initial_scale), dtype="float32", name="dynamic_scale"
        )
        self.inner_optimizer.build(variables)

    @property
    def variables(self):
        return super().variables + self.inner_optimizer.variables

    @property
    def variable_names(self):
        return super().variable_names + self.inner_optimizer.variable_names

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        """`loss` times the current scale (`initial_scale` until the optimizer is built)."""
        if not self.built:
            return loss * self.initial_scale
        return loss * self.dynamic_scale.to(loss.device)

    @torch.no_grad()
    def apply(self, grads, trainable_variables=None):
        if stateless.in_stateless_scope():  # the new values go into the scope (as Keras)
            return stateless_apply.apply_in_scope(self, grads, trainable_variables)
        grads = list(grads)
        if not self.built:
            if trainable_variables is None:
                raise ValueError(
                    f"Optimizer '{self.name}' was given gradients without variables before it "
                    "was built. Pass the variables too (`apply(grads, variables)`) or call "
                    "`optimizer.build(variables)` first."
                )
            self.build(trainable_variables)
        # Gradients that are new values (float8 scales) are neither unscaled nor checked.
        kept = _overwritten_flags(trainable_variables or self._trainable_variables, len(grads))
        present = [g for g, k in zip(grads, kept) if g is not None and not k]
        if not present and not any(kept):
            return self.inner_optimizer.apply(grads, trainable_variables)  # raises its error
        if present:
            self._follow_device(present[0].device)
        unscaled, finite = self._unscale(present) if present else ([], True)
        if not finite:
            self.step_counter.zero_()
            self.dynamic_scale.mul_(0.5)
            return
        unscaled = iter(unscaled)
        self.inner_optimizer.apply(
            [g if g is None or k else next(unscaled) for g, k in zip(grads, kept)],
            trainable_variables
        )
        grow = self.step_counter == self.dynamic_growth_steps - 1
        self.dynamic_scale.mul_(torch.where(grow, 2.0, 1.0))
        self.step_counter.copy_(torch.where(grow, 0, self.step_counter + 1))

    def _unscale(self, grads):
        """`grads` divided by the scale (new tensors: the caller's are left alone), and whether
        all of them are finite. 16-bit gradients are divided in float32, as Keras's type
        promotion does, so that small values do not underflow once unscaled."""
        groups = collections.defaultdict(list)  # the fused kernels want one device and dtype
        for position, grad in enumerate(grads):
            groups[(grad.device, grad.dtype)].append(position)
        unscaled, found = [None] * len(grads), []
        for (device, dtype), positions in groups.items():
            group = [grads[p] for p in positions]
            if dtype in (torch.float16, torch.bfloat16):
                group = [g.float() for g in group]
            group = torch._foreach_div(group, self.dynamic_scale.to(device))
            found_inf = torch.zeros((), device=device)
            # Flags any inf or NaN (the multiplication by one leaves the values as they are).
            torch._amp_foreach_non_finite_check_and_unscale_(
                group, found_inf, torch.ones((), device=device)
            )
            found.append(found_inf.to(grads[0].device))
            for position, grad in zip(positions, group):
                unscaled[position] = grad
        # The one host sync of a step: whether to skip it.
        return unscaled, not bool(torch.stack(found).sum().item())

    def _follow_device(self, device):
        if self.dynamic_scale.device != device:
            self._move_counters_to(device)
            for tensor in (self.step_counter, self.dynamic_scale):
                tensor.data = tensor.data.to(device)

    def _saveable_attributes(self):
        # Keras's weight files also hold the inner optimizer's variables in a group of its own,
        # `optimizer/inner_optimizer/vars`, besides the full list in `optimizer/vars`.
        return {"inner_optimizer": self.inner_optimizer}

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        # Only the name of the base arguments: the rest belong to the inner optimizer.
        return {
            "name": self.name,
            "inner_optimizer": serialization.serialize_keras_object(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = serialization.deserialize_keras_object(
            config.pop("inner_optimizer"), package="optimizers", custom_objects=custom_objects,
            what="optimizer",
        )
        return cls(inner, **config)


def _overwritten_flags(variables, count):
    """Per gradient, whether its variable is overwritten with it (all False, without a loop,
    until some variable was ever flagged)."""
    if not lamina_variables.OVERWRITE_FLAGS_CHANGED[0]:
        return (False,) * count
    return [getattr(v, "overwrite_with_gradient", False) for v in variables]
