"""LambdaCallback: a callback made of plain functions, one per hook."""

from lamina.callbacks.callback import Callback
from lamina.registry.export import keras_export
from lamina.utils.arguments import check_call_signature, check_kwargs

# Hooks called with (index, logs) and with (logs) only.
_INDEXED_HOOKS = {"on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end"} | {
    f"on_{mode}_batch_{when}" for mode in ("train", "test", "predict") for when in ("begin", "end")
}
_PLAIN_HOOKS = {f"on_{mode}_{when}" for mode in ("train", "test", "predict")
                for when in ("begin", "end")}


@keras_export("callbacks.LambdaCallback")
class LambdaCallback(Callback):
    """A callback whose hooks are the given functions.

    `on_epoch_begin` / `on_epoch_end` and the batch hooks are called as `fn(index, logs)`;
    `on_train_begin` / `on_train_end` (and the test / predict ones) as `fn(logs)`. `logs` is
    always a dict (empty when the loop has nothing to report). Any hook of `Callback` may be
    given by keyword, e.g. `on_test_end=...`.

    Example:
        LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        check_kwargs(kwargs, _INDEXED_HOOKS | _PLAIN_HOOKS, "LambdaCallback()")
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        methods = {}
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback({name}=...) expects a function; "
                                f"received {function!r}.")
            if name in _INDEXED_HOOKS:
                index = "epoch" if "epoch" in name else "batch"
                check_call_signature(function, (0, {}), f"LambdaCallback({name}=...)",
                                     f"fn({index}, logs)")
                methods[name] = _indexed(function)
            else:
                check_call_signature(function, ({},), f"LambdaCallback({name}=...)", "fn(logs)")
                methods[name] = _plain(function)
        # The given functions become methods of a class made for this instance: CallbackList
        # calls only the hooks a callback's class overrides, so unused hooks cost nothing.
        self.__class__ = type(type(self).__name__, (type(self),), methods)


def _indexed(function):
    def hook(self, index, logs=None):
        return function(index, logs if logs is not None else {})

    return hook


def _plain(function):
    def hook(self, logs=None):
        return function(logs if logs is not None else {})

    return hook
