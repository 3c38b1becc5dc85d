"""MonitorCallback: the shared part of callbacks that watch one logged quantity.

It finds the quantity in the epoch logs (accepting the Keras 2 spellings `acc` / `val_acc` for
`accuracy` / `val_accuracy` and the other way round), decides whether lower or higher is better,
and says whether a new value improves on a reference by more than `min_delta`.
"""

import difflib
import re
import warnings

from lamina.callbacks.callback import Callback
from lamina.utils import naming
from lamina.utils.arguments import user_stacklevel

# For mode="auto": what a metric's name says about its direction, first match wins.
_NAME_DIRECTIONS = (
    (re.compile(r"(^|_)loss$"), "min"),
    (re.compile(r"(^|_)false_(positives|negatives)($|_)"), "min"),
    (re.compile(r"(^|_)(acc|accuracy|auc|precision|recall|f1|fbeta|f_beta|iou|io_u|r2|"
                r"correlation|sensitivity|specificity|true_positives|true_negatives|"
                r"cosine_similarity)($|_)"), "max"),
    (re.compile(r"(error|crossentropy|hinge|divergence|poisson|logcosh|(^|_)(mse|mae|mape|msle|"
                r"rmse)($|_))"), "min"),
)
# Keras 2 wrote "acc" where Keras 3 writes "accuracy" (and "lr" for "learning_rate").
_LEGACY_NAMES = {"acc": "accuracy", "lr": "learning_rate"}


class MonitorCallback(Callback):
    """Base class for callbacks that act on the improvement of a monitored quantity.

    Args:
        monitor: the logs key to watch, e.g. "val_loss" or "val_accuracy".
        mode: "min" (lower is better), "max", or "auto" (found from the metric: losses and
            errors go down; accuracy, AUC, precision, recall, F-scores, IoU, R2 ... go up).
        baseline: a value the quantity must improve on (subclasses say how it is used).
        min_delta: changes smaller than this (in absolute value) are not improvements.
    """

    _missing_message = "{name} is conditioned on metric `{monitor}`"

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            # Keras warns and falls back to "auto", which may watch the metric the wrong way.
            raise ValueError(f"{type(self).__name__}: `mode` must be 'auto', 'min' or 'max'. "
                             f"Received: mode={mode!r}")
        if not isinstance(monitor, str):
            raise TypeError(f"{type(self).__name__}: `monitor` must be the name of a logged "
                            "quantity, such as 'val_loss' or 'val_accuracy'. "
                            f"Received: monitor={monitor!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)):
            raise TypeError(f"{type(self).__name__}: `min_delta` (the smallest change that "
                            f"counts as an improvement) must be a number. "
                            f"Received: min_delta={min_delta!r}")
        self.monitor = monitor
        self.mode = mode
        self.baseline = baseline
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None
        self._resolved_monitor = None

    # ------------------------------------------------------------------ finding the value
    def get_monitor_value(self, logs):
        """The monitored value from `logs`, or None (with a warning listing the keys) if absent."""
        logs = logs or {}
        key = self._resolve_key(logs)
        if key is None:
            available = ",".join(logs)
            close = difflib.get_close_matches(self.monitor, list(logs), n=1)
            hint = f" Did you mean `{close[0]}`?" if close else ""
            warnings.warn(
                self._missing_message.format(name=type(self).__name__, monitor=self.monitor)
                + f" which is not available. Available metrics are: {available}.{hint}",
                stacklevel=3,
            )
            return None
        return logs[key]

    def _resolve_key(self, logs):
        if self.monitor in logs:
            return self.monitor
        prefix, name = _split_prefix(self.monitor)
        modern = _LEGACY_NAMES.get(name)
        if modern is not None and prefix + modern in logs:
            if self._resolved_monitor is None:
                warnings.warn(
                    f"{type(self).__name__}: monitor='{self.monitor}' is the Keras 2 name of "
                    f"'{prefix + modern}'; pass monitor='{prefix + modern}'.",
                    DeprecationWarning,
                    stacklevel=user_stacklevel(),
                )
            self._resolved_monitor = prefix + modern
            return prefix + modern
        legacy = {new: old for old, new in _LEGACY_NAMES.items()}.get(name)
        if legacy is not None and prefix + legacy in logs:  # compiled with metrics=["acc"]
            self._resolved_monitor = prefix + legacy
            return prefix + legacy
        return None

    # ------------------------------------------------------------------ comparing values
    def _set_monitor_op(self):
        direction = self.mode if self.mode != "auto" else self._infer_direction()
        self.monitor_op = _less if direction == "min" else _greater
        self._delta = -self.min_delta if direction == "min" else self.min_delta

    def _infer_direction(self):
        _, name = _split_prefix(self._resolved_monitor or self.monitor)
        if name == "loss" or name.endswith("_loss"):
            return "min"
        for metric in getattr(self.model, "metrics", None) or []:
            if getattr(metric, "name", None) == name:
                direction = _metric_direction(metric)
                if direction is not None:
                    return direction
        direction = _direction_from_name(name)
        if direction is None:
            raise ValueError(
                f"{type(self).__name__} received monitor={self.monitor!r}, but cannot tell "
                "whether that metric should be maximized or minimized. Pass mode='max' to keep "
                "the highest value, or mode='min' to keep the lowest."
            )
        return direction

    def _is_improvement(self, value, reference):
        if self.monitor_op is None:
            self._set_monitor_op()
        if reference is None:
            return True
        return self.monitor_op(value - self._delta, reference)


def _split_prefix(monitor):
    return ("val_", monitor[4:]) if monitor.startswith("val_") else ("", monitor)


def _metric_direction(metric):
    """"max"/"min" from a metric object: its Keras 3 `_direction`, else its names."""
    declared = getattr(metric, "_direction", None)
    if declared in ("up", "down"):
        return "max" if declared == "up" else "min"
    function = getattr(metric, "_fn", None)  # MeanMetricWrapper(fn): the function's name
    for name in (getattr(function, "__name__", None), naming.to_snake_case(type(metric).__name__)):
        direction = _direction_from_name(name) if name else None
        if direction is not None:
            return direction
    return None


def _direction_from_name(name):
    name = name.lower()
    for pattern, direction in _NAME_DIRECTIONS:
        if pattern.search(name):
            return direction
    return None


def _less(a, b):
    return a < b


def _greater(a, b):
    return a > b
