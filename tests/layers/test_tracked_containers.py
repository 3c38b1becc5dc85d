"""Layers put in a list or dict *after* it was assigned (`self.ensemble = []`, then `append`
in a loop, as Keras's neural decision forest does) are sublayers, as Keras tracks them: they
train, and files hold them under the attribute's name (layout recorded from Keras 3.15.1)."""

import copy
import pickle
import zipfile

import h5py
import numpy as np
import torch

import lamina as keras
from lamina import layers


class Forest(keras.Model):
    def __init__(self, trees=3, **kwargs):
        super().__init__(**kwargs)
        self.trees = trees
        self.ensemble = []
        for _ in range(trees):
            self.ensemble.append(layers.Dense(4, activation="relu"))
        self.heads = {}
        self.heads["out"] = layers.Dense(1)
        self.notes = []
        self.notes.append("not a layer")  # (any item is allowed)

    def call(self, x):
        total = 0.0
        for tree in self.ensemble:
            total = total + tree(x)
        return self.heads["out"](total)

    def get_config(self):
        return {**super().get_config(), "trees": self.trees}


def test_appended_layers_train_and_save_like_keras(tmp_path):
    model = Forest()
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    model.fit(x, y, epochs=1, verbose=0)
    assert len(model.trainable_weights) == 8
    assert list(model.state_dict())[:2] == ["ensemble.0.kernel", "ensemble.0.bias"]
    before = [w.detach().clone() for w in model.ensemble[0].weights]
    model.fit(x, y, epochs=1, verbose=0)
    assert not torch.equal(before[0], model.ensemble[0].kernel)  # they train
    model.save(tmp_path / "forest.keras")
    with zipfile.ZipFile(tmp_path / "forest.keras") as archive, \
            archive.open("model.weights.h5") as handle, h5py.File(handle) as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    names = [n for n in names if not n.startswith("optimizer/")]
    assert names == ['ensemble/dense/vars/0', 'ensemble/dense/vars/1',
                     'ensemble/dense_1/vars/0', 'ensemble/dense_1/vars/1',
                     'ensemble/dense_2/vars/0', 'ensemble/dense_2/vars/1',
                     'heads/dense/vars/0', 'heads/dense/vars/1']
    loaded = keras.saving.load_model(tmp_path / "forest.keras",
                                     custom_objects={"Forest": Forest})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_containers_stay_lists_and_dicts_and_can_be_replaced():
    model = Forest(trees=2)
    model(np.ones((1, 3), "float32"))
    assert isinstance(model.ensemble, list) and isinstance(model.heads, dict)
    assert model.notes == ["not a layer"]
    model.ensemble.pop()
    assert len(model.weights) == 4
    model.ensemble = []  # replaced: the layers it held are no longer sublayers
    assert len(model.weights) == 2
    copied = copy.deepcopy(model)
    assert type(copied.notes) is list and len(copied.weights) == 2
    assert pickle.loads(pickle.dumps(model.notes)) == ["not a layer"]


class UNetLike(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.down = [[layers.Dense(3), layers.BatchNormalization()] for _ in range(2)]
        self.heads = {"a": {"b": layers.Dense(1)}}
        self.pair = ((layers.Dense(2), "not a layer"),)

    def call(self, x):
        for dense, norm in self.down:
            x = norm(dense(x))
        return self.heads["a"]["b"](x) + self.pair[0][0](x)[:, :1]


def test_layers_nested_in_lists_dicts_and_tuples_train_and_save_like_keras(tmp_path):
    model = UNetLike()
    model.compile("adam", "mse")
    x = np.random.default_rng(1).normal(size=(16, 3)).astype("float32")
    kernel = model.down[1][0]  # (not built yet)
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert (len(model.weights), len(model.trainable_weights)) == (16, 12)  # Keras: the same
    before = kernel.kernel.detach().clone()
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert not torch.equal(before, kernel.kernel)
    model.save_weights(tmp_path / "nested.weights.h5")
    with h5py.File(tmp_path / "nested.weights.h5") as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    # Keras 3.15.1 writes nested containers as "container", "container_1", ...
    assert [n for n in names if n.startswith(("down/", "heads/"))] == [
        "down/container/batch_normalization/vars/0", "down/container/batch_normalization/vars/1",
        "down/container/batch_normalization/vars/2", "down/container/batch_normalization/vars/3",
        "down/container/dense/vars/0", "down/container/dense/vars/1",
        "down/container_1/batch_normalization/vars/0",
        "down/container_1/batch_normalization/vars/1",
        "down/container_1/batch_normalization/vars/2",
        "down/container_1/batch_normalization/vars/3",
        "down/container_1/dense/vars/0", "down/container_1/dense/vars/1",
        "heads/container/dense/vars/0", "heads/container/dense/vars/1"]
    fresh = UNetLike()
    fresh(x[:2])
    fresh.load_weights(tmp_path / "nested.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    model.down = None  # replaced: no longer sublayers
    assert len(model.weights) == 4
