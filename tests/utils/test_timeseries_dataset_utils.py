"""timeseries_dataset_from_array against Keras's documented examples and its window formula:
window k = data[start_index + k * sequence_stride + arange(sequence_length) * sampling_rate],
target k = targets[start_index + k * sequence_stride], k < ceil(n / sequence_stride) with
n = min(end_index - start_index - (sequence_length - 1) * sampling_rate, len(targets))."""

import math
import pickle

import numpy as np
import pytest
import torch

import lamina
from lamina.utils.timeseries_dataset_utils import timeseries_dataset_from_array


def windows_and_targets(dataset):
    batches = list(dataset)
    if isinstance(batches[0], tuple):
        return (torch.cat([x for x, _ in batches]).numpy(),
                torch.cat([y for _, y in batches]).numpy())
    return torch.cat(batches).numpy(), None


def expected(data, targets, length, stride=1, rate=1, start=0, end=None):
    end = len(data) if end is None else end
    count = end - start - (length - 1) * rate
    if targets is not None:
        count = min(count, len(targets))
    firsts = [start + k * stride for k in range(math.ceil(count / stride))]
    windows = np.stack([data[f + np.arange(length) * rate] for f in firsts])
    return windows, None if targets is None else np.stack([targets[f] for f in firsts])


def test_keras_example_1_indices():
    dataset = timeseries_dataset_from_array(np.arange(99), None, sequence_length=10,
                                            sampling_rate=2, sequence_stride=3)
    windows, _ = windows_and_targets(dataset)
    assert windows[0].tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert windows[1].tolist() == [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]
    assert windows[2].tolist() == [6, 8, 10, 12, 14, 16, 18, 20, 22, 24]
    assert windows[-1].tolist() == [78, 80, 82, 84, 86, 88, 90, 92, 94, 96]
    assert len(windows) == 27


def test_keras_example_2_next_step_regression():
    data = np.random.RandomState(0).rand(50)
    dataset = timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)
    inputs, targets = dataset[0]
    np.testing.assert_array_equal(inputs[0].numpy(), data[:10])
    assert targets[0].item() == data[10]
    assert inputs.dtype == torch.float64  # the data's dtype is kept


def test_keras_example_3_many_to_many():
    x, y = np.arange(100), np.arange(100) * 2
    inputs = timeseries_dataset_from_array(x, None, sequence_length=20, sequence_stride=20)
    outputs = timeseries_dataset_from_array(y, None, sequence_length=20, sequence_stride=20)
    for batch_x, batch_y in zip(inputs, outputs):
        np.testing.assert_array_equal(batch_x[0].numpy(), x[:20])
        np.testing.assert_array_equal(batch_y[1].numpy(), y[20:40])


@pytest.mark.parametrize("kwargs", [
    dict(sequence_length=4),
    dict(sequence_length=3, sequence_stride=2, sampling_rate=3),
    dict(sequence_length=5, start_index=7, end_index=40),
    dict(sequence_length=2, sequence_stride=4, start_index=3),
    dict(sequence_length=6, sampling_rate=2, end_index=30, batch_size=5),
])
def test_windows_and_targets_follow_the_formula(kwargs):
    data = np.arange(45 * 2, dtype=np.float32).reshape(45, 2)
    targets = np.arange(45) * 10
    kwargs.setdefault("batch_size", 7)
    dataset = timeseries_dataset_from_array(data, targets, **kwargs)
    windows, got_targets = windows_and_targets(dataset)
    want_windows, want_targets = expected(
        data, targets, kwargs["sequence_length"], kwargs.get("sequence_stride", 1),
        kwargs.get("sampling_rate", 1), kwargs.get("start_index", 0), kwargs.get("end_index"))
    np.testing.assert_array_equal(windows, want_windows)
    np.testing.assert_array_equal(got_targets, want_targets)
    assert len(dataset) == math.ceil(len(want_windows) / kwargs["batch_size"])
    assert windows.shape[1:] == (kwargs["sequence_length"], 2)


def test_fewer_targets_limit_the_windows():
    data = np.arange(30)
    windows, targets = windows_and_targets(
        timeseries_dataset_from_array(data, np.arange(8) + 100, sequence_length=3))
    assert len(windows) == 8 and targets.tolist() == list(range(100, 108))


def test_unbatched_windows_and_torch_input():
    dataset = timeseries_dataset_from_array(torch.arange(12.0), None, sequence_length=4,
                                            batch_size=None)
    assert len(dataset) == 9 and dataset[8].tolist() == [8.0, 9.0, 10.0, 11.0]


def test_shuffle_permutes_whole_windows_seeded_and_per_pass():
    data = np.arange(60)

    def passes(dataset):
        return [windows_and_targets(dataset) for _ in range(3)]

    first = passes(timeseries_dataset_from_array(data, data, sequence_length=5, batch_size=8,
                                                 shuffle=True, seed=11))
    again = passes(timeseries_dataset_from_array(data, data, sequence_length=5, batch_size=8,
                                                 shuffle=True, seed=11))
    for (windows, targets), (windows_again, _) in zip(first, again):
        np.testing.assert_array_equal(windows, windows_again)
        # Each window still matches its target, and every window appears once.
        np.testing.assert_array_equal(windows[:, 0], targets)
        assert sorted(targets.tolist()) == list(range(56))
    assert len({tuple(t.tolist()) for _, t in first}) == 3
    assert first[0][1].tolist() != list(range(56))


@pytest.mark.parametrize("kwargs, match", [
    (dict(start_index=-1), "start_index"), (dict(start_index=20), "start_index"),
    (dict(start_index=5, end_index=5), "greater than `start_index`"),
    (dict(end_index=20), "end_index"), (dict(sampling_rate=0), "sampling_rate"),
    (dict(sampling_rate=20), "sampling_rate"), (dict(sequence_stride=0), "sequence_stride"),
    (dict(sequence_stride=25), "sequence_stride"), (dict(batch_size=0), "batch_size"),
    (dict(format="numpy"), "format"),
])
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        timeseries_dataset_from_array(np.arange(20), None, sequence_length=3, **kwargs)


def test_fit_evaluate_predict():
    series = np.sin(np.arange(80) / 5).astype("float32")[:, None]
    dataset = timeseries_dataset_from_array(series[:-6], series[6:], sequence_length=6,
                                            batch_size=16)
    model = lamina.Sequential([lamina.Input((6, 1)), lamina.layers.Flatten(),
                               lamina.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(dataset, epochs=2, verbose=0, shuffle=False)
    assert np.isfinite(model.evaluate(dataset, verbose=0))
    assert model.predict(dataset, verbose=0).shape == (69, 1)


def test_pickles_for_spawned_workers():
    dataset = timeseries_dataset_from_array(np.arange(20), np.arange(20), 4, batch_size=3,
                                            shuffle=True, seed=2)
    copy = pickle.loads(pickle.dumps(dataset))
    assert torch.equal(copy[2][0], dataset[2][0])
