"""The Keras progress bar, with the display chosen by where the output goes.

Lines look exactly like Keras 3's:

    3/3 ━━━━━━━━━━━━━━━━━━━━ 0s 4ms/step - accuracy: 0.5000 - loss: 0.7227

How they are written depends on the stream (Keras redraws with `\\b`/`\\r`/ANSI codes whenever it
runs on a POSIX system, which fills log files with control characters):

  * a terminal (the stream is a TTY): redrawn in place with `\\r`, in colour (unless NO_COLOR);
  * a Jupyter notebook (ipykernel loaded, writing to sys.stdout, which is no TTY there): updated in
    place through an IPython display; without IPython, redrawn with `\\r` and no colour codes;
  * a file or a pipe: plain text, one line when the bar is finalized (once per epoch), nothing else.

verbose=2 writes one summary line at the end (`3/3 - 0s - 5ms/step - loss: 0.7227`) in every case.
"""

import logging
import math
import os
import sys
import time

import numpy as np
import torch

from lamina import config
from lamina.registry.export import keras_export

_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def _clock():
    return time.time()


@keras_export("utils.Progbar")
class Progbar:
    """Displays a progress bar.

    Args:
        target: total number of steps, or None if unknown.
        width: width of the bar in characters.
        verbose: 0 (silent), 1 (progress bar) or 2 (one line at the end).
        interval: minimum seconds between two redraws.
        stateful_metrics: names of metrics shown as given; the others are averaged over steps.
        stateless_metrics: alternatively, the names of the metrics to average (all others are
            shown as given). Pass at most one of the two.
        unit_name: what a step is called in the time-per-step display ("step", "sample").
        stream: where to write; None means `sys.stdout` as it is at the time of writing.
    """

    plain_interval = 15.0  # seconds between progress lines when the output is not a terminal

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step", stream=None):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar: pass `stateful_metrics` (metrics shown as given, the rest averaged) or "
                "`stateless_metrics` (metrics averaged, the rest shown as given), not both."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._stream = stream
        self._notebook_handle = None  # IPython display handle; False once found unavailable
        self._values = {}  # name -> [sum of value * steps, steps]; insertion order = display order
        self._seen_so_far = 0
        self._start = _clock()
        self._last_update = 0
        self._time_after_first_step = None
        self._prev_width = 0
        self._last_plain_line = self._start

    # ---- public API ------------------------------------------------------------------------------

    def update(self, current, values=None, finalize=None):
        """Record step `current` and redraw.

        Args:
            current: index of the current step.
            values: list of `(name, value)`; values may be floats or 0-d tensors (read only when
                displayed, so passing device tensors costs no synchronisation per step).
            finalize: whether this is the last update; defaults to `current >= target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(current, values or [], finalize)
        now = _clock()
        time_per_unit = self._step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._show_progress(current, now, time_per_unit, finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._summary_line(current, now, time_per_unit) + "\n")
        self._last_update = now

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)

    # ---- bookkeeping -----------------------------------------------------------------------------

    def _is_averaged(self, name):
        if self.stateless_metrics is not None:
            return name in self.stateless_metrics
        return name not in self.stateful_metrics

    def _record(self, current, values, finalize):
        for name, value in values:
            if isinstance(value, torch.Tensor):
                value = value.detach()
            if not self._is_averaged(name) or finalize:
                # At finalize the caller passes epoch-level results: show them as given.
                self._values[name] = [value, 1]
                continue
            steps = max(current - self._seen_so_far, 1)
            if name in self._values:
                self._values[name][0] = self._values[name][0] + value * steps
                self._values[name][1] += steps
            else:
                self._values[name] = [value * steps, steps]
        self._seen_so_far = current

    def _step_duration(self, current, now):
        """Seconds per step, leaving out the first step (compilation, warm-up) once possible."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            duration = (now - self._time_after_first_step) / (current - 1)
        else:
            duration = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return duration

    # ---- rendering -------------------------------------------------------------------------------

    def _count(self, current):
        digits = int(math.log10(self.target)) + 1
        return f"%{digits}d/%d" % (current, self.target)

    def _has_target(self):
        return self.target is not None and self.target > 0

    def _progress_line(self, current, now, time_per_unit, finalize, color):
        """The verbose=1 line as (text to write, its visible width)."""
        style = _Style(color, self._bar_char())
        if self._has_target():
            filled = int(self.width * float(current) / self.target)
            text = style.bold(self._count(current)) + " "
            if filled > 0:
                text += style.paint(_GREEN, style.bar * filled)
            text += style.paint(_WHITE, style.bar * (self.width - filled))
        else:
            text = "%7d/Unknown" % current
        if self._has_target() and not finalize:
            text += " " + style.bold(_format_eta(time_per_unit * (self.target - current)))
        else:
            text += " " + style.bold(f"{now - self._start:.0f}s")
        text += _format_step_time(time_per_unit, self.unit_name) + self._metrics_text()
        return text, style.visible_width(text)

    def _summary_line(self, current, now, time_per_unit):
        count = self._count(current) if self._has_target() else f"{current}/Unknown"
        line = f"{count} - {now - self._start:.0f}s -"
        return line + _format_step_time(time_per_unit, self.unit_name) + self._metrics_text()

    def _metrics_text(self):
        text = ""
        for name, (total, steps) in self._values.items():
            average = _to_float(total) / max(1, steps)
            shown = f"{average:.4f}" if abs(average) > 1e-3 else f"{average:.4e}"
            text += f" - {name}: {shown}"
        return text

    def _bar_char(self):
        encoding = getattr(self._output(), "encoding", None)
        try:
            "━".encode(encoding or "utf-8")
        except (UnicodeEncodeError, LookupError):
            return "="
        return "━"

    # ---- output ----------------------------------------------------------------------------------

    def _output(self):
        return self._stream if self._stream is not None else sys.stdout

    def _display_mode(self):
        if not config.is_interactive_logging_enabled():
            return "plain"  # one complete line per update, written as a log record
        stream = self._output()
        isatty = getattr(stream, "isatty", None)
        if isatty is not None and isatty():
            return "terminal"
        if "ipykernel" in sys.modules and stream is sys.stdout:
            return "notebook"
        return "plain"

    def _show_progress(self, current, now, time_per_unit, finalize):
        mode = self._display_mode()
        if mode == "plain":
            # A file or a pipe: whole lines only, and one every `plain_interval` seconds so that a
            # long epoch does not look hung (`tail -f train.log`).
            if finalize or now - self._last_plain_line >= self.plain_interval:
                self._write(
                    self._progress_line(current, now, time_per_unit, finalize, False)[0] + "\n")
                self._last_plain_line = now
            return
        if mode == "notebook" and self._show_in_notebook(current, now, time_per_unit, finalize):
            return
        color = mode == "terminal" and not os.environ.get("NO_COLOR")
        text, width = self._progress_line(current, now, time_per_unit, finalize, color)
        # Blank out what is left of a longer previous line.
        padding = " " * max(self._prev_width - width, 0)
        self._write("\r" + text + padding + ("\n" if finalize else ""))
        self._prev_width = width

    def _show_in_notebook(self, current, now, time_per_unit, finalize):
        """Update an IPython display in place; False when IPython cannot display."""
        if self._notebook_handle is False:
            return False
        text = self._progress_line(current, now, time_per_unit, finalize, False)[0]
        if self._notebook_handle is None:
            self._notebook_handle = _open_notebook_display(text) or False
            return self._notebook_handle is not False
        self._notebook_handle.update({"text/plain": text}, raw=True)
        return True

    def _write(self, text):
        if not config.is_interactive_logging_enabled():
            logging.getLogger("lamina").info(text.strip("\r\n"))
            return
        stream = self._output()
        stream.write(text)
        stream.flush()


def _open_notebook_display(text):
    """An IPython display handle showing `text`, or None without IPython."""
    try:
        from IPython.display import display
    except ImportError:
        return None
    return display({"text/plain": text}, raw=True, display_id=True)


class _Style:
    """ANSI styling that can be switched off, and the width of styled text on screen."""

    def __init__(self, color, bar):
        self.color = color
        self.bar = bar

    def bold(self, text):
        return self.paint(_BOLD, text)

    def paint(self, code, text):
        return f"{code}{text}{_RESET}" if self.color else text

    def visible_width(self, text):
        for code in (_BOLD, _GREEN, _WHITE, _RESET):
            text = text.replace(code, "")
        return len(text)


def _to_float(value):
    if isinstance(value, torch.Tensor):
        return value.double().mean().item()
    return float(np.mean(value))


def _format_eta(seconds):
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _format_step_time(seconds, unit_name):
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"
