"""ProgbarLogger: the Keras progress bar (`verbose=1`) or one line per epoch (`verbose=2`).

Batch logs are read (which waits for the device) only when the bar is about to be redrawn:
at most every `Progbar.interval` seconds, so the bar costs nothing per step.

In a multi-process job only process 0 shows the bar. Its values during an epoch are process 0's
running means; the epoch's final line shows the global values (see lamina.distribution).
"""

import time

from lamina.callbacks.callback import Callback
from lamina.distribution.process_group import is_main_process
from lamina.registry.export import keras_export


@keras_export("callbacks.ProgbarLogger")
class ProgbarLogger(Callback):
    _takes_device_logs = True  # reads batch logs' tensors only when needed

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.progbar = None

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        if not is_main_process():
            self.verbose = 0  # one bar per job, on process 0
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._start_bar()
        if self.verbose and self.epochs > 1:
            self._print(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch + 1, logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit():
            self._start_bar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit():
            self._update(batch + 1, logs)

    def on_predict_begin(self, logs=None):
        self._start_bar()

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch + 1, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_test_end(self, logs=None):
        if not self._in_fit():
            self._finish(logs)

    def on_predict_end(self, logs=None):
        self._finish(None)

    def _in_fit(self):
        return getattr(self.model, "_in_fit", False)

    def _start_bar(self):
        from lamina.utils.progbar import Progbar

        # The logs hold running means already: show them as given (stateless_metrics=set()).
        self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step",
                               stateless_metrics=set())
        self._seen = 0
        self._last_shown = 0.0

    def _update(self, current, logs):
        self._seen = current
        if self.verbose != 1 or self.progbar is None:
            return
        now = time.monotonic()
        if now - self._last_shown < self.progbar.interval and current != 1:
            return
        self._last_shown = now
        self.progbar.update(current, sorted((logs or {}).items()), finalize=False)

    def _finish(self, logs):
        if self.progbar is None or not self.verbose:
            return
        if self.target is None:
            self.target = self._seen
            self.progbar.target = self._seen
        self.progbar.update(self._seen, sorted((logs or {}).items()), finalize=True)
        self.progbar = None

    def _print(self, message):
        import sys

        from lamina import config

        if not config.is_interactive_logging_enabled():
            import logging

            logging.getLogger("lamina").info(message)
            return
        sys.stdout.write(message + "\n")
        sys.stdout.flush()
