"""CallbackList: calls every callback's hook in order; adds History and the progress bar.

Batch logs come from the step as device tensors. lamina's own callbacks read them only when
they must (the progress bar when it redraws, TensorBoard on its logged steps, ...), so a step
does not wait for the device; they say so with `_takes_device_logs`. Every other callback gets
what Keras gives it: Python floats (numpy arrays for vector results and predict outputs),
converted once per batch and only when such a callback is listening. From the first such
callback on, every callback of the batch gets that one dict, as in Keras (an edit one makes
reaches the next ones)."""

import numpy as np
import torch

from lamina.callbacks.callback import Callback
from lamina.callbacks.history import History
from lamina.callbacks.progbar_logger import ProgbarLogger
from lamina.registry.export import keras_export

_HOOKS = [
    f"on_{mode}_{when}" for mode in ("train", "test", "predict") for when in ("begin", "end")
] + [
    f"on_{mode}_batch_{when}" for mode in ("train", "test", "predict") for when in ("begin", "end")
] + ["on_epoch_begin", "on_epoch_end"]


@keras_export("callbacks.CallbackList")
class CallbackList(Callback):
    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        if isinstance(callbacks, Callback):  # one callback, not in a list (Keras takes it too)
            callbacks = [callbacks]
        elif callbacks is not None and (isinstance(callbacks, (str, bytes, dict))
                                        or not hasattr(callbacks, "__iter__")):
            raise TypeError("`callbacks` must be a list of Callback instances, e.g. "
                            "callbacks=[keras.callbacks.EarlyStopping(patience=3)]. "
                            f"Received: callbacks={callbacks!r}")
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if isinstance(callback, type) and issubclass(callback, Callback):
                raise TypeError(f"`callbacks` holds the class {callback.__name__}, not an "
                                f"instance: write {callback.__name__}(...) with parentheses.")
            if not isinstance(callback, Callback):
                raise TypeError(
                    "`callbacks` must hold lamina.callbacks.Callback instances (subclass "
                    "Callback, or wrap a function in LambdaCallback); received "
                    f"{callback!r}."
                )
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        # Only hooks that some callback overrides are called at all: batch hooks run every step.
        for hook in _HOOKS:
            listening = [c for c in self.callbacks if _overrides(c, hook)]
            if hook.endswith("batch_end"):
                # (device tensors for lamina's own callbacks, host values for the others)
                methods = [(getattr(c, hook), not getattr(c, "_takes_device_logs", False))
                           for c in listening]
                setattr(self, hook, _batch_end_dispatcher(methods))
                continue
            active = [getattr(c, hook) for c in listening]
            setattr(self, hook, _dispatcher(active, indexed="batch" in hook or "epoch" in hook))

    def set_model(self, model):
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)


def _overrides(callback, hook):
    method = getattr(type(callback), hook)
    if method is not getattr(Callback, hook):
        return True
    # Keras 2 batch hooks (on_batch_begin/end) forward from the train hooks.
    legacy = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}
    return hook in legacy and getattr(type(callback), legacy[hook]) is not getattr(
        Callback, legacy[hook]
    )


def _dispatcher(methods, indexed):
    """Call each hook with a logs dict, always (Keras passes `{}` rather than None)."""
    if not methods:
        return _noop
    if indexed:
        def dispatch(index, logs=None):
            logs = {} if logs is None else logs
            for method in methods:
                method(index, logs)
    else:
        def dispatch(logs=None):
            logs = {} if logs is None else logs
            for method in methods:
                method(logs)
    return dispatch


def _batch_end_dispatcher(methods):
    """Like `_dispatcher` for a batch-end hook: `methods` pairs each hook with whether it wants
    host values (see the module docstring)."""
    if not methods:
        return _noop
    if not any(wants_host for _, wants_host in methods):
        return _dispatcher([method for method, _ in methods], indexed=True)

    def dispatch(index, logs=None):
        logs = {} if logs is None else logs
        host = None
        for method, wants_host in methods:
            if wants_host and host is None:
                host = host_logs(logs)
            # One dict from then on, as Keras passes: what a callback writes into it (a loss
            # set to NaN, a new entry) reaches the callbacks after it, lamina's own included.
            method(index, logs if host is None else host)
    return dispatch


def host_logs(logs):
    """`logs` with tensors read to the host, as Keras hands them to callbacks: one-number
    results as Python floats, others (vector metrics, predict outputs) as numpy arrays."""
    return {key: _host_value(value) for key, value in logs.items()}


def _host_value(value):
    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.ndim == 0:
            return value.item()
        return value.float().cpu().numpy() if value.dtype == torch.bfloat16 else \
            value.cpu().numpy()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, dict):
        return {key: _host_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_host_value(item) for item in value)
    return value


def _noop(*args, **kwargs):
    return None
