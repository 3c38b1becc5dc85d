"""BatchedDataset's tf.data-style methods, checked against what the same tf.data pipeline
yields (written out by hand), and its use by fit / evaluate / predict and DataLoader."""

import numpy as np
import pytest
import torch

import lamina
from lamina.utils.batched_dataset import BatchedDataset, Samples
from lamina.utils.py_dataset import PyDataset


def numbers(count=10, batch_size=None, shuffle=False, seed=0):
    """Samples `(i, 10 * i)`: x a float vector, y an int."""
    dataset = Samples(count, lambda i: (np.full(2, i, np.float32), np.int64(10 * i)))
    if shuffle:
        dataset = dataset.shuffle(count, seed=seed)
    return dataset if batch_size is None else dataset.batch(batch_size)


def ys(dataset):
    return [y.tolist() for _, y in dataset]


def test_is_a_py_dataset_of_tensor_batches():
    dataset = numbers(10, batch_size=4)
    assert isinstance(dataset, PyDataset) and len(dataset) == 3
    x, y = dataset[2]
    assert x.shape == (2, 2) and x.dtype == torch.float32 and y.tolist() == [80, 90]
    assert ys(dataset) == [[0, 10, 20, 30], [40, 50, 60, 70], [80, 90]]
    assert int(dataset.cardinality()) == 3
    with pytest.raises(IndexError, match="out of range"):
        dataset[3]
    assert dataset[-1][1].tolist() == [80, 90]


def test_batch_drop_remainder_and_batching_batches():
    assert len(numbers(10).batch(4, drop_remainder=True)) == 2
    nested = numbers(10, batch_size=2).batch(2)
    assert nested[0][0].shape == (2, 2, 2)
    with pytest.raises(ValueError, match="batch_size"):
        numbers(10).batch(0)


def test_map_spreads_tuples_into_arguments():
    doubled = numbers(6, batch_size=4).map(lambda x, y: (x * 2, y + 1))
    assert ys(doubled) == [[1, 11, 21, 31], [41, 51]]
    assert doubled[1][0][0].tolist() == [8.0, 8.0]
    only_x = numbers(6, batch_size=4).map(lambda x, y: x)
    assert isinstance(only_x[0], torch.Tensor)
    assert only_x.map(lambda x: x.sum())[0].item() == 12.0
    with pytest.raises(TypeError, match="callable"):
        numbers().map(3)


def test_take_skip():
    dataset = numbers(10, batch_size=3)  # 4 batches
    assert ys(dataset.take(2)) == [[0, 10, 20], [30, 40, 50]]
    assert ys(dataset.skip(3)) == [[90]]
    assert len(dataset.take(-1)) == 4 and len(dataset.skip(-1)) == 0
    assert len(dataset.take(9)) == 4 and len(dataset.skip(9)) == 0
    with pytest.raises(ValueError, match="count"):
        dataset.take(-2)


def test_unbatch_and_rebatch():
    dataset = numbers(7, batch_size=3)
    samples = dataset.unbatch()
    assert len(samples) == 7 and samples[4][1].item() == 40
    assert ys(dataset.rebatch(4)) == [[0, 10, 20, 30], [40, 50, 60]]
    assert len(numbers(7).batch(3, drop_remainder=True).unbatch()) == 6
    # After map the batch sizes are learnt by reading the batches once.
    mapped = dataset.map(lambda x, y: (x, y + 1)).unbatch()
    assert len(mapped) == 7 and [mapped[i][1].item() for i in range(7)] == [
        1, 11, 21, 31, 41, 51, 61]
    assert ys(mapped.batch(5)) == [[1, 11, 21, 31, 41], [51, 61]]
    with pytest.raises(ValueError, match="batched elements"):
        len(numbers(3).unbatch())


def test_unbatch_after_map_follows_reshuffled_passes():
    def one_batch():
        return numbers(6, batch_size=6, shuffle=True, seed=3).map(lambda x, y: (x, y))

    batches, samples = one_batch(), one_batch().unbatch()
    for _ in range(3):
        expected = sum(ys(batches), [])
        assert [y.item() for _, y in samples] == expected


def test_shuffle_reshuffles_each_pass_reproducibly():
    def passes(dataset, count=4):
        return [sum(ys(dataset), []) for _ in range(count)]

    first = passes(numbers(12, batch_size=5, shuffle=True, seed=4))
    assert first == passes(numbers(12, batch_size=5, shuffle=True, seed=4))
    assert len({tuple(p) for p in first}) == 4
    assert all(sorted(p) == list(range(0, 120, 10)) for p in first)
    # Shuffling batches keeps each batch whole.
    batches = numbers(12, batch_size=4).shuffle(8, seed=1)
    assert sorted(ys(batches)) == [[0, 10, 20, 30], [40, 50, 60, 70], [80, 90, 100, 110]]
    fixed = numbers(12, batch_size=4).shuffle(8, seed=1, reshuffle_each_iteration=False)
    assert ys(fixed) == ys(fixed)


def test_stopping_a_loop_early_ends_the_pass():
    dataset = numbers(12, batch_size=3, shuffle=True, seed=0)
    firsts = []
    for _ in range(3):
        for _, y in dataset:
            firsts.append(y.tolist())
            break
    assert len({tuple(f) for f in firsts}) > 1


def test_cache_keeps_a_complete_first_pass():
    reads = []
    source = Samples(6, lambda i: reads.append(i) or np.float32(i))
    cached = source.shuffle(6, seed=2).cache().batch(3)
    first = [b.tolist() for b in cached]
    assert [b.tolist() for b in cached] == first  # replayed, not reshuffled
    assert sorted(reads) == list(range(6))  # each sample read once
    reshuffled = source.cache().shuffle(6, seed=2).batch(6)  # shuffling after the cache
    assert len({tuple(b.tolist()) for _ in range(4) for b in reshuffled}) > 1
    assert sorted(reads) == sorted(list(range(6)) * 2)  # the second cache read each sample once
    partial = source.shuffle(6, seed=5).cache()
    head = next(iter(partial)).item()  # an incomplete pass is forgotten
    assert [partial[i].item() for i in range(6)] != [head] * 6
    with pytest.raises(ValueError, match="in memory only"):
        source.cache("file.cache")


def test_prefetch_and_as_numpy_iterator():
    dataset = numbers(4, batch_size=2)
    assert dataset.prefetch(2) is dataset
    x, y = next(dataset.as_numpy_iterator())
    assert isinstance(x, np.ndarray) and y.tolist() == [0, 10]


def test_strings_stay_numpy():
    texts = Samples(3, lambda i: ("word " * i, np.int32(i))).batch(2)
    x, y = texts[0]
    assert isinstance(x, np.ndarray) and x.tolist() == ["", "word "]
    assert y.dtype == torch.int32


def test_class_names_and_settings_follow_derived_datasets():
    dataset = numbers(4, batch_size=2)
    dataset.class_names = ["a", "b"]
    dataset.workers = 2
    derived = dataset.map(lambda x, y: (x, y)).take(1).prefetch(1).cache()
    assert derived.class_names == ["a", "b"] and derived.workers == 2


def test_to_dataloader():
    dataset = numbers(10, batch_size=4, shuffle=True, seed=0)
    loader = dataset.to_dataloader()
    first, second = [sum(ys(loader), []) for _ in range(2)]
    assert sorted(first) == sorted(second) == list(range(0, 100, 10)) and first != second
    workers = numbers(10, batch_size=4).to_dataloader(num_workers=2, pin_memory=False)
    assert ys(workers) == ys(numbers(10, batch_size=4))
    with pytest.raises(ValueError, match="batch_size"):
        dataset.to_dataloader(batch_size=3)
    with pytest.raises(ValueError, match="persistent"):
        dataset.to_dataloader(num_workers=1, persistent_workers=True)


def test_fit_evaluate_predict():
    x_of = np.random.RandomState(0).rand(40, 3).astype("float32")
    dataset = Samples(40, lambda i: (x_of[i], np.float32(x_of[i].sum()))).batch(8)
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(dataset.shuffle(5, seed=0), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    threaded = dataset.map(lambda x, y: (x, y))
    threaded.workers = 2  # the PyDataset setting: batches prepared ahead in threads
    model.fit(threaded, epochs=1, verbose=0)
    assert np.isfinite(model.evaluate(dataset, verbose=0))
    predictions = model.predict(dataset.map(lambda x, y: x), verbose=0)
    assert predictions.shape == (40, 1)
    np.testing.assert_allclose(predictions, model.predict(x_of, verbose=0), rtol=1e-5)


def test_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        len(BatchedDataset())


def test_fit_keeps_the_datasets_own_order():
    # Keras ignores fit's shuffle for a tf.data dataset; lamina does the same for its datasets.
    import lamina

    seen = []

    class Recorder(lamina.Model):
        def call(self, x):
            return x

        def train_step(self, data):
            x = data[0] if isinstance(data, (tuple, list)) else data
            seen.append(float(x[0, 0, 0]))
            return {}

    data = np.arange(8, dtype="float32")[:, None]
    ds = lamina.utils.timeseries_dataset_from_array(data, None, sequence_length=1, batch_size=2)
    model = Recorder()
    model.compile(optimizer="sgd")
    model.fit(ds, epochs=2, verbose=0)  # shuffle=True by default
    assert seen == [0.0, 2.0, 4.0, 6.0] * 2
