"""EarlyStopping: stop training when a monitored quantity has stopped improving."""

import numpy as np

from lamina.callbacks.monitor_callback import MonitorCallback
from lamina.registry.export import keras_export


@keras_export("callbacks.EarlyStopping")
class EarlyStopping(MonitorCallback):
    """Stop `fit` once `monitor` has not improved for `patience` epochs.

    Args:
        monitor: the logs key to watch (default "val_loss").
        min_delta: an improvement must be larger than this.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints a line when training is stopped and when weights are restored.
        mode: "auto", "min" or "max" (see `MonitorCallback`).
        baseline: training stops after `patience` epochs unless the quantity beats this value.
        restore_best_weights: at the end of training, put back the weights of the best epoch
            (the last epoch's weights are kept when False).
        start_from_epoch: epochs of warm-up during which the quantity is not watched.

    Example:
        model.fit(x, y, validation_split=0.2, epochs=100,
                  callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])
    """

    _missing_message = "Early stopping conditioned on metric `{monitor}`"

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, baseline=baseline, min_delta=min_delta)
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError("EarlyStopping: `patience` (epochs without improvement before "
                             f"stopping) must be an integer >= 0. Received: patience={patience!r}")
        if isinstance(start_from_epoch, bool) or not isinstance(start_from_epoch, int) or (
                start_from_epoch < 0):
            raise ValueError("EarlyStopping: `start_from_epoch` (epochs to wait before watching "
                             "for improvement) must be an integer >= 0. Received: "
                             f"start_from_epoch={start_from_epoch!r}")
        self.patience = patience
        self.verbose = verbose
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _host_copy(self.model.get_weights())
            # With a baseline, only values beating it reset the patience.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


def _host_copy(weights):
    """Copies on the host (no extra device memory); on the CPU `get_weights()` may share memory
    with the live parameters, so the arrays are copied in any case."""
    return [np.array(w, copy=True) for w in weights]
