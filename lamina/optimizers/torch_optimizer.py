"""Use any `torch.optim.Optimizer` where lamina expects an optimizer.

`model.compile(optimizer=torch.optim.AdamW(model.parameters(), lr=3e-4))` wraps it in
`TorchOptimizer`: each step hands the gradients to the parameters' `.grad` and calls the torch
optimizer's `step()`, so its own state, param groups and hyperparameters apply unchanged.
"""

import torch

from lamina import stateless
from lamina import variables as lamina_variables
from lamina.optimizers import optimizer, stateless_apply
from lamina.registry.export import keras_export


@keras_export("optimizers.TorchOptimizer")
class TorchOptimizer(optimizer.Optimizer):
    """Adapter from a `torch.optim.Optimizer` to the lamina optimizer interface.

    `learning_rate` reads the first param group's `lr` and assigning it sets `lr` in every param
    group, so learning-rate callbacks work. Clipping (`clipnorm`, `clipvalue`, `global_clipnorm`)
    and `loss_scale_factor` are applied before `step()`; weight decay, EMA and gradient
    accumulation belong to the torch optimizer (or are not available) and raise here.

    Args:
        torch_optimizer: The `torch.optim.Optimizer` instance to drive.
        name: Name of the optimizer.
    """

    def __init__(self, torch_optimizer, name=None, **kwargs):
        if not isinstance(torch_optimizer, torch.optim.Optimizer):
            raise TypeError(
                "TorchOptimizer wraps a torch.optim.Optimizer instance. "
                f"Received: {type(torch_optimizer).__name__}"
            )
        for unsupported in ("weight_decay", "use_ema", "gradient_accumulation_steps"):
            if kwargs.get(unsupported):
                raise NotImplementedError(
                    f"TorchOptimizer does not implement `{unsupported}`; configure the wrapped "
                    f"{type(torch_optimizer).__name__} instead (e.g. its own weight_decay)."
                )
        # The base class needs a learning rate; the real one lives in the param groups.
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        self.torch_optimizer = torch_optimizer

    @property
    def learning_rate(self):
        lr = self.torch_optimizer.param_groups[0]["lr"]
        if isinstance(lr, torch.Tensor):
            return lr
        return torch.tensor(float(lr), dtype=torch.float32)

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, torch.Tensor):
            value = value.detach()
        for group in self.torch_optimizer.param_groups:
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].copy_(torch.as_tensor(value))
            else:
                group["lr"] = float(value)

    @property
    def variables(self):
        return [self._as_keras_variable(self._iterations, f"{self.name}/iteration")]

    @property
    def variable_names(self):
        return [f"{self.name}/iteration"]

    @torch.no_grad()
    def apply(self, grads, trainable_variables=None):
        if stateless.in_stateless_scope():  # the new values go into the scope (as Keras)
            return stateless_apply.apply_in_scope(self, grads, trainable_variables)
        grads = list(grads)
        if not grads:
            return
        indices = self._indices_of(grads, trainable_variables)
        variables = self._trainable_variables
        indices, present = self._present_gradients(indices, grads)
        if lamina_variables.OVERWRITE_FLAGS_CHANGED[0] and self._overwritten_indices():
            indices, present = self._overwrite_with_gradients(indices, present)
        if self.loss_scale_factor is not None:
            present = torch._foreach_div(present, self.loss_scale_factor)
        present = self._clip_gradients(present)
        for variable in variables:  # a variable without a gradient must be skipped by step()
            variable.grad = None
        for index, grad in zip(indices, present):
            variables[index].grad = grad
        self.torch_optimizer.step()
        self._advance_iterations()

    def get_config(self):
        config = super().get_config()
        config["learning_rate"] = float(self.learning_rate)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        raise TypeError(
            "A TorchOptimizer cannot be rebuilt from a config: the wrapped torch.optim optimizer "
            "needs the model's parameters. Create it again and pass it to `compile()`."
        )
