"""CSVLogger: write each epoch's logs as a row of a CSV file."""

import collections.abc
import contextlib
import csv
import os

import numpy as np
import torch

from lamina.callbacks.callback import Callback
from lamina.distribution.process_group import is_main_process
from lamina.registry.export import keras_export
from lamina.saving import atomic


@keras_export("callbacks.CSVLogger")
class CSVLogger(Callback):
    """Append one row per epoch (`epoch` and the sorted log keys) to `filename`.

    Rows are written and flushed as training goes, so the file can be read while `fit` runs
    and keeps the finished epochs if training is interrupted. Without validation data, the
    `val_` columns are still written (as "NA"), as Keras does.

    Args:
        filename: the CSV file (a str or path-like).
        separator: the column separator.
        append: add to an existing file instead of overwriting it (the header is written only
            if the file is empty).

    Example:
        model.fit(x, y, epochs=10, callbacks=[CSVLogger("training.log")])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise TypeError("CSVLogger: `separator` must be a single character, such as ',' or "
                            f"'\\t'. Received: separator={separator!r}")
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        if not is_main_process():
            return  # in a multi-process job, process 0 writes the (global) logs
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as existing:
                self.append_header = not existing.readline()
        else:
            self.append_header = True
        self._close()
        with atomic.explained_errors(self.filename, "write the training log",
                                     "Nothing was written."):
            self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        if self.csv_file is None or self.csv_file.closed:
            return  # (not process 0 of a multi-process job)
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        # The rows are appended as training goes (not replaced atomically): a full disk keeps the
        # rows of the finished epochs, and may cut the last one short.
        try:
            with atomic.explained_errors(self.filename, "write the training log",
                                         "The rows of earlier epochs are kept."):
                self._write_row(epoch, logs)
        except OSError:
            with contextlib.suppress(OSError):  # (closing flushes the same bytes again)
                self.csv_file.close()
            raise

    def _write_row(self, epoch, logs):
        if self.writer is None:
            dialect = type("SeparatorDialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()
        self.writer = None

    def _close(self):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()


def _cell(value):
    """Numbers as they are; a vector value (e.g. per-class scores) as "[a, b, c]"."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, collections.abc.Iterable) and not isinstance(value, str):
        return "[" + ", ".join(map(str, np.asarray(value).ravel().tolist())) + "]"
    return value
