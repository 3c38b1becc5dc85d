"""`lamina.preprocessing.sequence`: `pad_sequences` under its Keras 2 address, and Keras 2's
`TimeseriesGenerator`, which LSTM forecasting tutorials feed to `fit`.

Keras 3 dropped `TimeseriesGenerator` for `keras.utils.timeseries_dataset_from_array`; this one
behaves as Keras 2's did (same windows, batches and targets) and warns that it is the old API.
"""

import json
import warnings

import numpy as np

from lamina.utils.py_dataset import PyDataset
from lamina.utils.sequence_utils import pad_sequences as pad_sequences
from lamina.utils.arguments import user_stacklevel


class TimeseriesGenerator(PyDataset):
    """Batches of windows over a time series: for each target row `t` (from `start_index +
    length` to `end_index`, every `stride` rows), the window `data[t - length:t:sampling_rate]`
    and the target `targets[t]`. `shuffle` draws the rows at random (NumPy's global generator,
    so `keras.utils.set_random_seed` makes it reproducible); `reverse` flips each window."""

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128, **kwargs):
        warnings.warn("TimeseriesGenerator is Keras 2's; Keras 3 has "
                      "keras.utils.timeseries_dataset_from_array.", DeprecationWarning,
                      stacklevel=user_stacklevel())
        super().__init__(**kwargs)
        if len(data) != len(targets):
            raise ValueError(f"TimeseriesGenerator: data has {len(data)} rows and targets "
                             f"{len(targets)}; give one target per row of data.")
        self.data, self.targets = data, targets
        self.length, self.sampling_rate, self.stride = length, sampling_rate, stride
        self.start_index = start_index + length  # the first row with a whole window before it
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle, self.reverse, self.batch_size = shuffle, reverse, batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"TimeseriesGenerator: start_index + length = {self.start_index} is "
                             f"past end_index = {self.end_index}, so there is no window: use a "
                             "shorter `length` or more data.")

    def __len__(self):
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            last = min(first + self.batch_size * self.stride, self.end_index + 1)
            rows = np.arange(first, last, self.stride)
        windows = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        return (windows[:, ::-1, ...] if self.reverse else windows), targets

    def get_config(self):
        """Keras 2's config: data and targets as JSON strings, the indices as stored."""
        def as_json(values, what):
            values = values.tolist() if isinstance(values, np.ndarray) else values
            try:
                return json.dumps(values)
            except TypeError as error:
                raise TypeError(f"TimeseriesGenerator.get_config(): the {what} cannot be written "
                                "as JSON (use NumPy arrays or lists of numbers).") from error

        return {"data": as_json(self.data, "data"), "targets": as_json(self.targets, "targets"),
                "length": self.length, "sampling_rate": self.sampling_rate,
                "stride": self.stride, "start_index": self.start_index,
                "end_index": self.end_index, "shuffle": self.shuffle, "reverse": self.reverse,
                "batch_size": self.batch_size}

    def to_json(self, **kwargs):
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)
