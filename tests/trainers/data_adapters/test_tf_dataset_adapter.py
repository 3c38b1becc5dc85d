"""tf.data.Dataset as fit / evaluate / predict data, as Keras 3 accepts it on every backend.

CI has no TensorFlow, so most tests run against a stand-in `tensorflow` module holding the
few things the adapter touches (`data.Dataset`, cardinality, tensors with `.numpy()`, sparse and
ragged tensors). The last tests use the real TensorFlow where it is installed.
"""

import importlib.machinery
import sys
import types

import numpy as np
import pytest
import torch

import lamina
from lamina.trainers.data_adapters import get_data_adapter

INFINITE, UNKNOWN = -1, -2


class FakeTensor:
    def __init__(self, value):
        self.value = np.asarray(value)

    def numpy(self):
        return self.value


class RaggedTensor(FakeTensor):
    pass


class SparseTensor(FakeTensor):
    pass


class Dataset:
    """Batches given as lists of numpy structures; yields them as FakeTensor structures."""

    def __init__(self, batches, cardinality=None, repeat=False):
        self.batches, self.repeat = batches, repeat
        self._cardinality = len(batches) if cardinality is None else cardinality
        self.passes = 0

    def cardinality(self):
        return self._cardinality

    def __iter__(self):
        self.passes += 1
        while True:
            for batch in self.batches:
                yield lamina.tree.map_structure(
                    lambda v: v if isinstance(v, FakeTensor) else FakeTensor(v), batch)
            if not self.repeat:
                return


@pytest.fixture
def fake_tf(monkeypatch):
    tf = types.ModuleType("tensorflow")
    tf.__spec__ = importlib.machinery.ModuleSpec("tensorflow", None)  # torch looks for it
    tf.data = types.SimpleNamespace(Dataset=Dataset, INFINITE_CARDINALITY=INFINITE)
    tf.sparse = types.SimpleNamespace(to_dense=lambda s: FakeTensor(s.value))
    monkeypatch.setitem(sys.modules, "tensorflow", tf)
    return tf


def batches(n_batches=3, size=4, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(size, 3)).astype("float32"), rng.integers(0, 2, size))
            for _ in range(n_batches)]


def test_elements_become_batches_and_each_epoch_rereads_the_dataset(fake_tf):
    data = batches()
    dataset = Dataset(data)
    adapter = get_data_adapter(dataset)
    assert adapter.num_batches == 3
    for epoch in range(2):
        got = list(adapter.batches())
        assert len(got) == 3
        for (x, y, sw), (x_ref, y_ref) in zip(got, data):
            assert isinstance(x, torch.Tensor) and x.dtype == torch.float32
            np.testing.assert_array_equal(x.numpy(), x_ref)
            np.testing.assert_array_equal(y.numpy(), y_ref)
            assert sw is None
    assert dataset.passes == 2


def test_dict_inputs_keep_their_structure(fake_tf):
    x, y, _ = get_data_adapter(Dataset([({"a": np.ones((2, 1)), "b": np.zeros((2, 2))},
                                          np.ones(2))])).peek()
    assert set(x) == {"a", "b"} and x["b"].shape == (2, 2)


def test_unknown_cardinality_is_learnt_from_the_first_pass(fake_tf):
    adapter = get_data_adapter(Dataset(batches(), cardinality=UNKNOWN))
    assert adapter.num_batches is None
    assert len(list(adapter.batches())) == 3
    assert adapter.num_batches == 3


def test_an_endless_dataset_needs_steps(fake_tf):
    endless = Dataset(batches(), cardinality=INFINITE, repeat=True)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        get_data_adapter(endless)
    adapter = get_data_adapter(endless, steps=5)
    assert len(list(adapter.batches())) == 5


def test_sparse_is_densified_and_ragged_is_refused_with_the_fix(fake_tf):
    x, _, _ = get_data_adapter(Dataset([(SparseTensor(np.eye(2)), np.ones(2))])).peek()
    np.testing.assert_array_equal(x.numpy(), np.eye(2))
    with pytest.raises(ValueError, match="padded_batch"):
        get_data_adapter(Dataset([(RaggedTensor(np.ones((2, 2))), np.ones(2))])).peek()


def test_separate_targets_are_refused(fake_tf):
    with pytest.raises(ValueError, match="must not be passed separately"):
        get_data_adapter(Dataset(batches()), y=np.ones(12))


def test_class_weight_applies(fake_tf):
    x = np.zeros((4, 1), "float32")
    adapter = get_data_adapter(Dataset([(x, np.array([0, 1, 1, 0]))]), class_weight={1: 3.0})
    _, _, sample_weight = adapter.peek()
    np.testing.assert_array_equal(sample_weight.numpy(), [1, 3, 3, 1])


def test_fit_evaluate_predict_on_a_dataset_equal_the_same_arrays(fake_tf):
    data = batches(n_batches=4, size=8)

    def model():
        lamina.utils.set_random_seed(1)
        m = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1, "sigmoid")])
        m.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
        return m

    x = np.concatenate([b[0] for b in data])
    y = np.concatenate([b[1] for b in data])
    on_arrays, on_dataset = model(), model()
    history_arrays = on_arrays.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    history_dataset = on_dataset.fit(Dataset(data), epochs=2, verbose=0,
                                     validation_data=Dataset(data[:1]))
    np.testing.assert_allclose(history_dataset.history["loss"], history_arrays.history["loss"],
                               rtol=1e-6)
    assert "val_loss" in history_dataset.history
    for a, b in zip(on_arrays.get_weights(), on_dataset.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(on_dataset.evaluate(Dataset(data), verbose=0),
                               on_arrays.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(on_dataset.predict(Dataset(data), verbose=0),
                               on_arrays.predict(x, verbose=0), rtol=1e-6)


def test_without_tensorflow_nothing_is_a_tf_dataset(monkeypatch):
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    with pytest.raises(TypeError, match="tf.data.Dataset"):
        get_data_adapter(object())


def test_set_random_seed_seeds_tensorflow_when_it_is_imported(fake_tf):
    seeds = []
    fake_tf.random = types.SimpleNamespace(set_seed=seeds.append)
    lamina.utils.set_random_seed(1234)
    assert seeds == [1234]


def test_real_tensorflow_pipeline():
    tf = pytest.importorskip("tensorflow")  # the stand-in tests above cover CI
    x = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(20, seed=1).batch(8).prefetch(2)
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2, "softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(dataset, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(dataset, verbose=0).shape == (20, 2)
    text = tf.data.Dataset.from_tensor_slices((["a b", "b c c"], [0, 1])).batch(2)
    x_text, _, _ = get_data_adapter(text).peek()
    assert list(x_text) == [b"a b", b"b c c"]
