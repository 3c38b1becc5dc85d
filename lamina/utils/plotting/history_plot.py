"""`plot_history`: learning curves from `model.fit()`'s History, one panel per metric."""

import math
import os

import numpy as np

from lamina.registry.export import keras_export
from lamina.utils.plotting.matplotlib_drawing import image_format, import_matplotlib

_LEGACY = {"acc": "accuracy", "lr": "learning_rate"}


@keras_export("utils.plot_history")
def plot_history(history, to_file="history.png", metrics=None, dpi=100):
    """Plot each metric per epoch, training and validation in the same panel.

    Args:
        history: the `History` returned by `fit()` (or its `.history` dict).
        to_file: the image file (.png, .svg, .pdf, ...); None draws without saving.
        metrics: the names to plot (without "val_"), e.g. ["loss", "accuracy"]; default: all.
        dpi: resolution of bitmap formats.

    Returns:
        The matplotlib `Figure`.

    Example:
        history = model.fit(x, y, validation_split=0.2, epochs=20)
        lamina.utils.plot_history(history, "curves.png")
    """
    matplotlib, Figure = import_matplotlib("plot_history")
    from matplotlib.ticker import MaxNLocator
    logs, epochs = _logs_and_epochs(history)
    names = _metric_names(logs, metrics)
    columns = min(len(names), 3)
    rows = math.ceil(len(names) / columns)
    figure = Figure(figsize=(4.2 * columns, 3.2 * rows), layout="constrained")
    for index, name in enumerate(names):
        axes = figure.add_subplot(rows, columns, index + 1)
        for key, label, style in ((name, "training", "-o"), ("val_" + name, "validation", "-s")):
            if key in logs:
                _plot_series(axes, epochs, logs[key], label, style)
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(True, alpha=0.3)
        axes.legend()
    if to_file is not None:
        to_file = os.fspath(to_file)
        with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
            figure.savefig(to_file, format=image_format(to_file), dpi=dpi)
    return figure


def _logs_and_epochs(history):
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError("plot_history() expects the History returned by fit() or its "
                        f".history dict; received {type(history).__name__}.")
    if not logs or not any(len(values) for values in logs.values()):
        raise ValueError("plot_history() received an empty history: train for at least one "
                         "epoch first.")
    length = max(len(values) for values in logs.values())
    epochs = list(getattr(history, "epoch", None) or range(length))
    return logs, [epoch + 1 for epoch in epochs]  # 1-based, as the progress bar counts


def _metric_names(logs, metrics):
    available = [k for k in logs if not k.startswith("val_")]
    available += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in available]
    if metrics is None:
        return available
    if isinstance(metrics, str):
        metrics = [metrics]
    names = []
    for name in metrics:
        name = name[4:] if name.startswith("val_") else name
        if name not in available and _LEGACY.get(name) in available:
            name = _LEGACY[name]
        if name not in available:
            raise ValueError(f"plot_history(): no metric named '{name}' in the history. "
                             f"Available: {', '.join(available)}.")
        names.append(name)
    return names


def _plot_series(axes, epochs, values, label, style):
    values = np.asarray(values, dtype=np.float64)
    x = epochs[-len(values):] if len(values) == len(epochs) else range(1, len(values) + 1)
    if values.ndim == 1:
        axes.plot(list(x), values, style, markersize=3, label=label)
        return
    for column in range(values.reshape(len(values), -1).shape[1]):  # e.g. per-class F1 scores
        axes.plot(list(x), values.reshape(len(values), -1)[:, column], style, markersize=3,
                  label=f"{label} [{column}]")
