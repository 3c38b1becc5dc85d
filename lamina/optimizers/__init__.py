"""Optimizers with Keras's formulas and defaults, updating torch Parameters in place.

`get(identifier)` turns what `model.compile(optimizer=...)` receives into an optimizer: a name
("adam", case-insensitive), a config dict, an optimizer instance, or a `torch.optim.Optimizer`
(wrapped in `TorchOptimizer`).
"""

import difflib

import torch

from lamina.optimizers import legacy as legacy
from lamina.optimizers import schedules as schedules
from lamina.optimizers.adadelta import Adadelta as Adadelta
from lamina.optimizers.adafactor import Adafactor as Adafactor
from lamina.optimizers.adagrad import Adagrad as Adagrad
from lamina.optimizers.adam import Adam as Adam
from lamina.optimizers.adamax import Adamax as Adamax
from lamina.optimizers.adamw import AdamW as AdamW
from lamina.optimizers.ftrl import Ftrl as Ftrl
from lamina.optimizers.lamb import Lamb as Lamb
from lamina.optimizers.lion import Lion as Lion
from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer as LossScaleOptimizer
from lamina.optimizers.multi_optimizer import MultiOptimizer as MultiOptimizer
from lamina.optimizers.multi_optimizer import OptimizerMap as OptimizerMap
from lamina.optimizers.muon import Muon as Muon
from lamina.optimizers.nadam import Nadam as Nadam
from lamina.optimizers.optimizer import Optimizer as Optimizer
from lamina.optimizers.rmsprop import RMSprop as RMSprop
from lamina.optimizers.schedule_free_adamw import ScheduleFreeAdamW as ScheduleFreeAdamW
from lamina.optimizers.sgd import SGD as SGD
from lamina.optimizers.torch_optimizer import TorchOptimizer as TorchOptimizer
from lamina.registry import object_registry
from lamina.registry import serialization

# What `get("name")` builds (case-insensitive), as Keras's `optimizers.get` does, plus "lamb".
_BUILTIN_BY_LOWER_NAME = {
    cls.__name__.lower(): cls
    for cls in (SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam, Lion, Adafactor,
                Ftrl, Lamb, Muon, ScheduleFreeAdamW)
}
# Built-ins that wrap other optimizers: `deserialize` knows their lower-case names too, but they
# cannot be built from a name alone.
_WRAPPERS_BY_LOWER_NAME = {
    cls.__name__.lower(): cls for cls in (LossScaleOptimizer, MultiOptimizer, OptimizerMap)
}


def serialize(optimizer):
    """The optimizer as a Keras object dict: `{"module", "class_name", "config", ...}`."""
    return serialization.serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """An optimizer from `serialize`'s dict; built-in class names match case-insensitively."""
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        lower = config["class_name"].lower()
        builtin = _BUILTIN_BY_LOWER_NAME.get(lower) or _WRAPPERS_BY_LOWER_NAME.get(lower)
        if builtin is not None and not config.get("registered_name"):
            config = {**config, "class_name": builtin.__name__}
    # The scope lets a custom schedule inside the config resolve through `custom_objects` too.
    with object_registry.custom_object_scope(custom_objects):
        return serialization.deserialize_keras_object(
            config, package="optimizers", custom_objects=custom_objects, what="optimizer"
        )


def get(identifier):
    """The optimizer `identifier` names: a string, a config dict, an instance, an optimizer
    class, or a `torch.optim.Optimizer` (wrapped in `TorchOptimizer`)."""
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, torch.optim.Optimizer):
        return TorchOptimizer(identifier)
    if isinstance(identifier, str):
        return _optimizer_named(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Expected a name such as "
        "'adam', a config dict, a keras optimizer instance or a torch.optim.Optimizer."
    )


def _optimizer_named(name):
    builtin = _BUILTIN_BY_LOWER_NAME.get(name.lower())
    if builtin is not None:
        return builtin()
    wrapper = _WRAPPERS_BY_LOWER_NAME.get(name.lower())
    if wrapper is not None:
        raise ValueError(
            f"Optimizer '{name}' wraps other optimizers, so it cannot be made from its name: "
            f"pass an instance, e.g. `optimizer=keras.optimizers.{wrapper.__name__}(...)`."
        )
    custom = object_registry.get_registered_object(name)
    if isinstance(custom, type) and issubclass(custom, Optimizer):
        return custom()
    valid = sorted(_BUILTIN_BY_LOWER_NAME)
    close = difflib.get_close_matches(name.lower(), valid, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ValueError(f"Unknown optimizer: '{name}'.{hint} Valid names: {', '.join(valid)}.")
