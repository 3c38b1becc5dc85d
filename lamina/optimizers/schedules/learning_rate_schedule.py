"""The base class of learning-rate schedules, and their (de)serialization.

A schedule maps the optimizer's step counter to a learning rate. The optimizer calls it with its
`iterations` tensor on every step, so `__call__` must stay on the device: it computes with torch
ops only (`torch.where` instead of Python `if` on values), never `.item()`.
"""

import torch

from lamina import config as lamina_config
from lamina.registry import serialization
from lamina.registry.export import keras_export


@keras_export("optimizers.schedules.LearningRateSchedule")
class LearningRateSchedule:
    """Base class: subclass it and implement `__call__(step)` (and `get_config()` to save it).

    `step` may be a Python int or an integer tensor; the result is a 0-d float tensor on the
    step's device.

    Example:

    ```python
    class HalfEveryEpoch(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, initial_learning_rate, steps_per_epoch):
            self.initial_learning_rate = initial_learning_rate
            self.steps_per_epoch = steps_per_epoch

        def __call__(self, step):
            return self.initial_learning_rate * 0.5 ** (step // self.steps_per_epoch)
    ```
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must implement `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must implement `get_config()` "
            "to be saved with a model."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def step_as_float(step, dtype=None):
    """The step as a 0-d float tensor (floatx unless `dtype`), on the step's device if a tensor."""
    dtype = dtype or lamina_config.to_torch_dtype(lamina_config.floatx())
    if isinstance(step, torch.Tensor):
        return step.to(dtype)
    return torch.tensor(step, dtype=dtype)


def check_positive_steps(name, value):
    if not value > 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


def serialize(learning_rate_schedule):
    """The schedule as a Keras object dict (`{"module": "keras.optimizers.schedules", ...}`)."""
    config = serialization.serialize_keras_object(learning_rate_schedule)
    if isinstance(config, dict) and config.get("module") == "keras.schedules":
        # Keras files name the public module of schedules, which is nested under optimizers.
        config["module"] = "keras.optimizers.schedules"
    return config


def deserialize(config, custom_objects=None):
    """A schedule back from `serialize`'s dict (or from a built-in class name)."""
    return serialization.deserialize_keras_object(
        config, package="schedules", custom_objects=custom_objects, what="learning rate schedule"
    )
