"""`PyDataset` (alias `Sequence`): a dataset written in Python, read one batch at a time by index.

Subclass it, call `super().__init__(**kwargs)`, and define `__len__` (the number of batches)
and `__getitem__(index)` (one batch: `x`, `(x, y)` or `(x, y, sample_weight)`). Because batches
are read by index, fit / evaluate / predict can read them again every epoch, shuffle their
order, and fetch several at once in worker threads (`workers > 1`) or processes
(`use_multiprocessing=True`).

Example:

```python
class Squares(lamina.utils.PyDataset):
    def __init__(self, x, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.batch_size = x, batch_size

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        rows = self.x[index * self.batch_size:(index + 1) * self.batch_size]
        return rows, rows ** 2

model.fit(Squares(x, batch_size=32, workers=4), epochs=10)
```
"""

import itertools
from lamina.registry.export import keras_export

_DEFAULTS = {"_workers": 1, "_use_multiprocessing": False, "_max_queue_size": 10}


@keras_export("utils.PyDataset", "utils.Sequence")
class PyDataset:
    """Base class for datasets that hand out batches by index.

    Args:
        workers: how many batches to prepare at once (threads, or processes with
            `use_multiprocessing=True`). 1 reads batches in the training loop itself.
        use_multiprocessing: prepare batches in worker processes instead of threads, for
            `__getitem__` code that holds Python's GIL. The dataset and the batches it returns
            must then be picklable when processes are not forked.
        max_queue_size: how many prepared batches may wait ahead of the training loop.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    # Subclasses written for Keras 2's `Sequence` often skip `super().__init__()`: the
    # properties then fall back to the defaults.
    @property
    def workers(self):
        return getattr(self, "_workers", _DEFAULTS["_workers"])

    @workers.setter
    def workers(self, value):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"`workers` must be a non-negative integer. Received: {value!r}.")
        self._workers = value

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", _DEFAULTS["_use_multiprocessing"])

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = bool(value)

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", _DEFAULTS["_max_queue_size"])

    @max_queue_size.setter
    def max_queue_size(self, value):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f"`max_queue_size` must be a positive integer. Received: {value!r}."
            )
        self._max_queue_size = value

    def __getitem__(self, index):
        """The batch at position `index`: `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`."""
        raise NotImplementedError(
            f"{type(self).__name__} must define `__getitem__(self, index)` returning one batch."
        )

    @property
    def num_batches(self):
        """Batches per epoch: `len(self)`; override it to return None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must define `__len__(self)` (the number of batches), or a "
            "`num_batches` property returning it (None for a dataset without end)."
        )

    def on_epoch_begin(self):
        """Called before each epoch reads its first batch."""

    def on_epoch_end(self):
        """Called after each epoch, e.g. to reshuffle the samples behind the batches."""

    def __iter__(self):
        count = self.num_batches
        indices = range(count) if count is not None else itertools.count()
        for index in indices:
            yield self[index]


Sequence = PyDataset
