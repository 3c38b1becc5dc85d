"""Checking and normalizing the constructor arguments shared by all optimizers."""

import functools
import inspect
import numbers
import sys

import numpy as np
import torch

from lamina import config as lamina_config
from lamina.optimizers.schedules import learning_rate_schedule
from lamina.utils import arguments


def take_legacy_arguments(cls, learning_rate, kwargs):
    """Keras 1/2 `lr=` and `decay=` -> (learning_rate, decay), each with a DeprecationWarning."""
    where = cls.__name__
    if "lr" in kwargs:
        if learning_rate != default_learning_rate(cls):
            raise TypeError(f"{where}: pass either `lr` or `learning_rate`, not both.")
        arguments.warn_deprecated("lr", "learning_rate", where, stacklevel=_user_stacklevel())
        learning_rate = kwargs.pop("lr")
    decay = kwargs.pop("decay", None)
    if decay is not None:
        arguments.warn_deprecated(
            "decay",
            "learning_rate=keras.optimizers.schedules.InverseTimeDecay(learning_rate, "
            "decay_steps=1, decay_rate=decay)",
            where,
            stacklevel=_user_stacklevel(),
        )
        if not isinstance(decay, numbers.Real) or decay < 0:
            raise ValueError(f"`decay` must be a float >= 0. Received: decay={decay!r}")
    return learning_rate, decay or None


def _user_stacklevel():
    """The `stacklevel` (for `arguments.warn_deprecated`, called by our caller) that points the
    warning at the user's line: the first frame outside lamina.optimizers, however many
    constructors (`AdamW` -> `Adam` -> `Optimizer`) lie in between."""
    frame = sys._getframe(1)
    level = 2  # warn_deprecated itself, then our caller
    while frame.f_back is not None and frame.f_back.f_globals.get("__name__", "").startswith(
        "lamina.optimizers"
    ):
        frame = frame.f_back
        level += 1
    return level + 1


@functools.lru_cache(maxsize=None)
def valid_keywords(cls):
    """Every keyword the constructors of `cls` (and its bases) accept, plus the legacy ones."""
    names = {"lr", "decay"}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                names.add(parameter.name)
    names.discard("self")
    return frozenset(names)


def default_learning_rate(cls):
    parameter = inspect.signature(cls.__init__).parameters.get("learning_rate")
    return None if parameter is None else parameter.default


def as_learning_rate(value):
    if isinstance(value, learning_rate_schedule.LearningRateSchedule) or callable(value):
        return value
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    is_scalar_tensor = isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 0
    if not (is_number or is_scalar_tensor):
        raise ValueError(
            "Argument `learning_rate` should be a float, a LearningRateSchedule, or a callable "
            "that takes no argument and returns the learning rate. "
            f"Received: learning_rate={value!r}"
        )
    if float(value) < 0:
        raise ValueError(f"Argument `learning_rate` must not be negative (a negative rate climbs "
                         f"the loss). Received: learning_rate={float(value)!r}")
    dtype = lamina_config.to_torch_dtype(lamina_config.floatx())
    return torch.tensor(float(value), dtype=dtype)


def check_decay_rates(owner, **rates):
    """Moment decay rates (`beta_1=0.9`, ...): numbers in [0, 1), or a ValueError naming them."""
    for name, value in rates.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
            raise ValueError(f"{owner}: `{name}` must be a number in [0, 1) (the weight of the "
                             f"old average). Received: {name}={value!r}")


def check_non_negative(owner, **values):
    """Constants such as `epsilon` or `initial_accumulator_value`: numbers >= 0 (None = unset),
    or a ValueError naming them (a negative epsilon can divide by zero)."""
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
            raise ValueError(f"{owner}: `{name}` must be a number >= 0. "
                             f"Received: {name}={value!r}")


def check_clipping(clipnorm, clipvalue, global_clipnorm):
    for name, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                        ("global_clipnorm", global_clipnorm)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
            raise ValueError(f"`{name}` must be a positive number (the largest gradient "
                             f"{'value' if name == 'clipvalue' else 'norm'} kept), or None for no "
                             f"clipping. Received: {name}={value!r}")
    if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError(
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
            f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
        )


def check_ema(use_ema, ema_momentum, ema_overwrite_frequency):
    if not use_ema:
        return
    if not 0 <= ema_momentum <= 1:
        raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: {ema_momentum}")
    frequency = ema_overwrite_frequency
    if frequency is not None and (not isinstance(frequency, int) or frequency < 1):
        raise ValueError(
            "`ema_overwrite_frequency` must be an integer >= 1 or None. "
            f"Received: ema_overwrite_frequency={frequency}"
        )


def check_accumulation(steps):
    if steps is not None and (not isinstance(steps, int) or steps < 2):
        raise ValueError(
            "`gradient_accumulation_steps` must be an integer >= 2 (or None). "
            f"Received: gradient_accumulation_steps={steps}"
        )
