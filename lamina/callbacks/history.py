"""History: records each epoch's logs; `fit()` returns it."""

from lamina.callbacks.callback import Callback
from lamina.registry.export import keras_export


@keras_export("callbacks.History")
class History(Callback):
    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self
