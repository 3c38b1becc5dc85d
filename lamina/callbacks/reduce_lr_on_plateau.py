"""ReduceLROnPlateau: lower the learning rate when a monitored quantity stops improving."""

import numpy as np

from lamina.callbacks.learning_rate_scheduler import current_learning_rate
from lamina.callbacks.monitor_callback import MonitorCallback
from lamina.registry.export import keras_export
from lamina.utils.arguments import check_kwargs, rename_legacy_kwargs

_ARGUMENTS = {"monitor", "factor", "patience", "verbose", "mode", "min_delta", "cooldown", "min_lr"}


@keras_export("callbacks.ReduceLROnPlateau")
class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by `factor` after `patience` epochs without improvement.

    The learning rate of each epoch is added to the epoch logs as "learning_rate" (so it is in
    `History.history`), before any reduction at the end of that epoch.

    Args:
        monitor: the logs key to watch (default "val_loss").
        factor: the multiplier, < 1: `new_lr = lr * factor`.
        patience: epochs without improvement before the rate is lowered.
        verbose: 1 prints a line at each reduction.
        mode: "auto", "min" or "max" (see `MonitorCallback`).
        min_delta: an improvement must be larger than this (Keras 2: `epsilon`).
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the rate is never lowered below this.
    """

    _missing_message = "Learning rate reduction is conditioned on metric `{monitor}`"

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        rename_legacy_kwargs(kwargs, {"epsilon": "min_delta"}, "ReduceLROnPlateau()")
        min_delta = kwargs.pop("min_delta", min_delta)
        check_kwargs(kwargs, _ARGUMENTS, "ReduceLROnPlateau()")
        super().__init__(monitor, mode, min_delta=min_delta)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor >= 1.0:
            raise ValueError(
                "ReduceLROnPlateau does not support a factor >= 1.0 (it lowers the learning "
                f"rate by multiplying it with factor). Received factor={factor!r}"
            )
        if factor <= 0:
            raise ValueError("ReduceLROnPlateau: `factor` must be a number in (0, 1) (the "
                             "learning rate is multiplied by it; 0 would stop training). "
                             f"Received: factor={factor!r}")
        for name, value, meaning in (("patience", patience, "epochs without improvement"),
                                     ("cooldown", cooldown, "epochs to wait after a reduction")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"ReduceLROnPlateau: `{name}` ({meaning}) must be an integer "
                                 f">= 0. Received: {name}={value!r}")
        if isinstance(min_lr, bool) or not isinstance(min_lr, (int, float)) or min_lr < 0:
            raise ValueError("ReduceLROnPlateau: `min_lr` (the lowest learning rate it sets) "
                             f"must be a number >= 0. Received: min_lr={min_lr!r}")
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        # Found now, not after `patience` epochs of training: a schedule cannot be lowered.
        from lamina.optimizers.schedules.learning_rate_schedule import LearningRateSchedule

        optimizer = getattr(self.model, "optimizer", None)
        schedule = getattr(optimizer, "_learning_rate", None)
        if isinstance(schedule, LearningRateSchedule):
            raise TypeError(
                f"ReduceLROnPlateau cannot lower the learning rate of optimizer "
                f"'{optimizer.name}': its learning_rate is a {type(schedule).__name__} schedule. "
                "Give the optimizer a float learning_rate, or drop ReduceLROnPlateau and let the "
                "schedule decide."
            )
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = current_learning_rate(self.model.optimizer)
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _reduce(self, epoch):
        optimizer = self.model.optimizer
        old_lr = current_learning_rate(optimizer)
        # Compared at float32 precision: the rate is stored as float32 and may sit just above
        # a float64 min_lr it was clipped to.
        if not old_lr > float(np.float32(self.min_lr)):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
