"""TerminateOnNaN: stop training as soon as the loss becomes NaN or infinite."""

import math

import torch

from lamina.callbacks.callback import Callback
from lamina.registry.export import keras_export


@keras_export("callbacks.TerminateOnNaN")
class TerminateOnNaN(Callback):
    """Stop `fit` when the training loss is NaN or infinite.

    On the CPU the loss of every batch is checked right away. On an accelerator, reading the
    loss waits for the device, so each batch's loss is read one batch later, while the device
    already runs the next one: training then stops one batch after the bad one.

    Args:
        raise_error: raise a RuntimeError instead of stopping quietly.
    """

    _takes_device_logs = True  # reads batch logs' tensors only when needed

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error
        self._pending = None

    def on_train_begin(self, logs=None):
        self._pending = None

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        if isinstance(loss, torch.Tensor) and loss.device.type != "cpu":
            pending, self._pending = self._pending, (batch, loss.detach())
            if pending is not None:
                self._check(*pending)
        else:
            self._check(batch, loss)

    def on_epoch_end(self, epoch, logs=None):
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._check(*pending)

    def _check(self, batch, loss):
        value = float(loss)
        if math.isnan(value) or math.isinf(value):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {value}. "
                    "Terminating training immediately."
                )
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
