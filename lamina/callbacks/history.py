"""History: records each epoch's logs; `fit()` returns it."""

import warnings

from lamina.callbacks.callback import Callback
from lamina.registry.export import keras_export
from lamina.utils.arguments import user_stacklevel

# Keras 2.0-2.2 logged `metrics=["accuracy"]` as "acc": the plotting code of that era's
# tutorials reads history.history["acc"].
_KERAS2_KEYS = {"acc": "accuracy", "val_acc": "val_accuracy"}


class _Logs(dict):
    """`history.history`: a plain dict, except that a Keras 2 key ("acc") finds today's
    ("accuracy") with a warning, and a missing key names the keys there are."""

    def __missing__(self, key):
        modern = _KERAS2_KEYS.get(key)
        if modern is not None and modern in self:
            warnings.warn(
                f'history.history["{key}"] is the Keras 2 name of "{modern}"; read '
                f'history.history["{modern}"] instead.', DeprecationWarning,
                stacklevel=user_stacklevel())
            return self[modern]
        raise KeyError(f"{key!r}: the history has no such key. It has {sorted(self)}.")


@keras_export("callbacks.History")
class History(Callback):
    def __init__(self):
        super().__init__()
        self.history = _Logs()
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self
