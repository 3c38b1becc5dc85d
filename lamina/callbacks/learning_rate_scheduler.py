"""LearningRateScheduler: set the learning rate at the start of every epoch from a function."""

import inspect
import numbers

import numpy as np
import torch

from lamina.callbacks.callback import Callback
from lamina.registry.export import keras_export
from lamina.utils.arguments import check_call_signature


@keras_export("callbacks.LearningRateScheduler")
class LearningRateScheduler(Callback):
    """Call `schedule(epoch, lr)` (or the Keras 2 form `schedule(epoch)`) before each epoch and
    make its result the optimizer's learning rate. The rate in use is added to the epoch logs
    as "learning_rate".

    Args:
        schedule: a function of the epoch index (from 0) and the current rate, returning a float.
        verbose: 1 prints the new rate at each epoch.

    Example:
        def schedule(epoch, lr):
            return lr if epoch < 10 else lr * 0.9
        model.fit(x, y, epochs=15, callbacks=[LearningRateScheduler(schedule)])
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler expects a function schedule(epoch, lr) -> float. "
                f"Received: {schedule!r}"
            )
        self._takes_learning_rate = _accepts_two_arguments(schedule)
        check_call_signature(schedule, (0, 0.1) if self._takes_learning_rate else (0,),
                             "LearningRateScheduler(schedule=...)",
                             "schedule(epoch, lr) or schedule(epoch), returning the new rate")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if optimizer is None or not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        if self._takes_learning_rate:
            learning_rate = self.schedule(epoch, current_learning_rate(optimizer))
        else:
            learning_rate = self.schedule(epoch)
        optimizer.learning_rate = _as_float(learning_rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = current_learning_rate(self.model.optimizer)


def current_learning_rate(optimizer):
    """The optimizer's learning rate as a Python float (read once per epoch: one host sync)."""
    return float(optimizer.learning_rate)


def _accepts_two_arguments(function):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # no signature (some builtins): use the modern form
        return True
    positional = [p for p in parameters
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


def _as_float(value):
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value)
    if isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(
        "LearningRateScheduler: the output of the `schedule` function (the epoch's learning "
        f"rate) should be a float. Got: {value!r}"
    )
