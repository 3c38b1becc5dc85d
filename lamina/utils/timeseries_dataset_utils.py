"""`timeseries_dataset_from_array`: sliding windows over a timeseries, in batches."""

import numpy as np
import torch

from lamina.registry.export import keras_export
from lamina.utils import batched_dataset, dataset_utils


@keras_export("utils.timeseries_dataset_from_array", "preprocessing.timeseries_dataset_from_array")
def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None, format="tf"):
    """A dataset of windows over `data` (and the matching `targets`), in batches.

    Window `k` starts at step `start_index + k * sequence_stride` and takes
    `sequence_length` steps `sampling_rate` apart; its target is `targets[start_index +
    k * sequence_stride]`, the target of the window's *first* step (shift `targets` to
    predict what follows a window, see example 2). Windows must end before `end_index`: with
    `n = end_index - start_index - (sequence_length - 1) * sampling_rate` possible first
    steps (at most `len(targets)`), there are `ceil(n / sequence_stride)` windows.

    Args:
        data: array-like (numpy, tensor, pandas values) whose first axis is time.
        targets: the target of each step of `data` (`targets[i]` belongs to the window
            starting at `i`), or None for windows only.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of consecutive windows.
        sampling_rate: steps between the samples taken within a window.
        batch_size: windows per batch; None gives single windows.
        shuffle: draw the windows in random order instead of chronological order.
        seed: seed of the shuffling.
        start_index, end_index: use only the steps in `[start_index, end_index)`.
        format: accepted for Keras code: "tf" and "grain" both give a `BatchedDataset`.

    Returns:
        A `lamina.utils.BatchedDataset` of `(windows, targets)` batches (windows alone
        without targets): tensors of shape `(batch, sequence_length, *data.shape[1:])` and
        `(batch, *targets.shape[1:])`, keeping the arrays' dtypes.

    With `shuffle=True` the windows are drawn in a new random order at every pass over the
    dataset (each epoch, each `for` loop): a permutation of all windows derived from `seed`
    and the pass number, so runs with the same seed see the same orders. Keras permutes the
    window starts with `np.random.RandomState(seed)` and then shuffles again within a
    tf.data buffer each pass, which cannot be reproduced without TensorFlow: the set of
    windows (and of batches' contents) is the same, their order is not.

    Example 1: with indices `[0, 1, ..., 98]`, `sequence_length=10, sampling_rate=2,
    sequence_stride=3` gives the windows `[0 2 4 ... 18]`, `[3 5 7 ... 21]`, ...,
    `[78 80 ... 96]` (the next start, 81, would not fit).

    Example 2, predicting the next step from the previous 10:

    ```python
    dataset = timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)
    inputs, targets = next(iter(dataset))
    # inputs[0] is data[:10], targets[0] is data[10]
    ```
    """
    dataset_utils.check_format(format)
    data = _as_array(data, "data")
    targets = None if targets is None else _as_array(targets, "targets")
    _check_arguments(len(data), sequence_length, sequence_stride, sampling_rate, start_index,
                     end_index)
    if batch_size is not None:
        batch_size = batched_dataset._check_positive(batch_size, "batch_size")
    start_index = start_index or 0
    end_index = len(data) if end_index is None else end_index
    num_windows = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_windows = min(num_windows, len(targets))
    starts = np.arange(0, max(num_windows, 0), sequence_stride, dtype=np.int64)
    windows = _Windows(data[start_index:end_index],
                       None if targets is None else targets[start_index:end_index],
                       starts, np.arange(sequence_length, dtype=np.int64) * sampling_rate)
    dataset = batched_dataset.Samples(len(starts), windows, load_batch=windows)
    if shuffle:
        dataset = dataset.shuffle(max(len(starts), 1), seed=seed)
    return dataset if batch_size is None else dataset.batch(batch_size)


class _Windows:
    """`k -> (window k, its target)`; an array of `k`s gives a batch (one gather)."""

    def __init__(self, data, targets, starts, offsets):
        self.data, self.targets, self.starts, self.offsets = data, targets, starts, offsets

    def __call__(self, indices):
        first_steps = self.starts[indices]
        windows = self.data[np.add.outer(first_steps, self.offsets)]
        return windows if self.targets is None else (windows, self.targets[first_steps])


def _as_array(values, name):
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    if hasattr(values, "to_numpy"):  # pandas
        return values.to_numpy()
    array = np.asarray(values)
    if array.ndim == 0:
        raise ValueError(f"`{name}` must be an array whose first axis is time; received a scalar.")
    return array


def _check_arguments(length, sequence_length, sequence_stride, sampling_rate, start_index,
                     end_index):
    for name, value in (("sequence_length", sequence_length),
                        ("sequence_stride", sequence_stride), ("sampling_rate", sampling_rate)):
        batched_dataset._check_positive(value, name)
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value >= length:
            raise ValueError(
                f"`{name}` must be smaller than the length of the data ({length}). Received: "
                f"{name}={value}."
            )
    if start_index and not 0 <= start_index < length:
        raise ValueError(
            f"`start_index` must be in [0, {length}) (the data has {length} steps). Received: "
            f"start_index={start_index}."
        )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be greater than `start_index`. Received: "
                f"start_index={start_index}, end_index={end_index}."
            )
        if not 0 < end_index < length:
            raise ValueError(
                f"`end_index` must be in (0, {length}) (the data has {length} steps; None "
                f"means the end). Received: end_index={end_index}."
            )
