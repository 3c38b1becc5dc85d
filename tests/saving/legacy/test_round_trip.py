"""lamina -> legacy .h5 -> lamina: architecture, weights, compile and optimizer state survive."""

import json

import h5py
import numpy as np
import pytest

import lamina
from lamina.saving import legacy_h5


def multi_io_model():
    tokens = lamina.Input((4,), dtype="int32", name="tokens")
    features = lamina.Input((3,), name="features")
    inner = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(4, activation="relu"),
                               lamina.layers.Dense(2)], name="inner")
    flat = lamina.layers.Flatten()(lamina.layers.Embedding(9, 2, name="emb")(tokens))
    left = lamina.layers.Dense(3, activation="softmax", name="left")(flat)
    right = lamina.layers.Reshape((2, 1), name="right")(inner(features))
    return lamina.Model([tokens, features], [left, right], name="multi")


def data(n=8, seed=0):
    rng = np.random.RandomState(seed)
    x = [rng.randint(0, 9, (n, 4)), rng.rand(n, 3).astype("float32")]
    y = [np.eye(3)[rng.randint(0, 3, n)].astype("float32"), rng.rand(n, 2, 1).astype("float32")]
    return x, y


def trained_model():
    model = multi_io_model()
    model.compile(optimizer=lamina.optimizers.Adam(0.02), loss=["categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.3], metrics=[["accuracy"], ["mae"]])
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    return model


def test_whole_model_round_trip(tmp_path):
    model = trained_model()
    path = tmp_path / "model.h5"
    model.save(path)
    loaded = lamina.models.load_model(path)
    x, y = data(seed=1)
    for a, b in zip(model.predict(x, verbose=0), loaded.predict(x, verbose=0)):
        np.testing.assert_array_equal(a, b)
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 4
    for name, a, b in zip(model.optimizer.variable_names, model.optimizer.variables,
                          loaded.optimizer.variables):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=name)
    assert loaded.get_compile_config()["loss_weights"] == [1.0, 0.3]
    # Training continues identically from the restored state.
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_file_layout_is_keras_legacy_layout(tmp_path):
    model = trained_model()
    path = tmp_path / "model.h5"
    model.save(path)
    with h5py.File(path, "r") as f:
        assert {"backend", "keras_version", "model_config", "training_config"} <= set(f.attrs)
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Functional"
        for layer in config["config"]["layers"]:
            assert set(layer) == {"class_name", "config", "name", "inbound_nodes"}
        training = json.loads(f.attrs["training_config"])
        assert training["optimizer_config"]["class_name"] == "Adam"
        assert training["loss"] == ["categorical_crossentropy", "mean_squared_error"]
        weights = f["model_weights"]
        names = [n.decode() for n in weights.attrs["layer_names"]]
        assert names == [layer.name for layer in model.layers]
        assert [n.decode() for n in weights["left"].attrs["weight_names"]] == ["left/kernel", "left/bias"]
        assert weights["left/left/kernel"].shape == (8, 3)
        assert [n.decode() for n in weights["inner"].attrs["weight_names"]][0].startswith("inner/")
        optimizer = f["optimizer_weights"]
        opt_names = [n.decode() for n in optimizer.attrs["weight_names"]]
        assert opt_names == model.optimizer.variable_names
        assert optimizer[opt_names[0]].dtype == np.int32


def test_include_optimizer_false_and_uncompiled(tmp_path):
    model = trained_model()
    model.save(tmp_path / "a.h5", include_optimizer=False)
    with h5py.File(tmp_path / "a.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    assert not lamina.models.load_model(tmp_path / "a.h5").compiled
    fresh = multi_io_model()
    fresh.save(tmp_path / "b.h5")
    loaded = lamina.models.load_model(tmp_path / "b.h5")
    for a, b in zip(fresh.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weights_only_round_trip(tmp_path):
    model = trained_model()
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert "layer_names" in f.attrs and "model_config" not in f.attrs
    other = multi_io_model()
    other.load_weights(tmp_path / "w.h5")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_by_name_and_skip_mismatch(tmp_path):
    source = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(4, name="a"),
                                lamina.layers.Dense(2, name="b")])
    source.save_weights(tmp_path / "w.h5")
    # Different order, an extra layer, and "b" with another shape.
    target = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(4, name="a"),
                                lamina.layers.Dense(5, name="b"), lamina.layers.Dense(1, name="c")])
    with pytest.raises(ValueError, match="Shape mismatch.*'b'"):
        target.load_weights(tmp_path / "w.h5", by_name=True)
    with pytest.warns(UserWarning, match="Skipping.*'b'"):
        target.load_weights(tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    for x, y in zip(target.get_layer("a").get_weights(), source.get_layer("a").get_weights()):
        np.testing.assert_array_equal(x, y)
    # Positional loading needs the same number of layers with weights.
    with pytest.raises(ValueError, match="holds weights for 2 layers.*3 layers with weights.*by_name"):
        target.load_weights(tmp_path / "w.h5")


def test_long_name_lists_are_split_into_chunks(tmp_path):
    names = [f"layer_{i:05d}_" + "x" * 90 for i in range(1500)]  # ~150 KB of names
    with h5py.File(tmp_path / "n.h5", "w") as f:
        legacy_h5._write_name_list(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs and "layer_names2" in f.attrs
        assert all(f.attrs[key].nbytes <= legacy_h5.HDF5_OBJECT_HEADER_LIMIT for key in f.attrs)
        assert legacy_h5._read_name_list(f, "layer_names") == names


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.h5"
    model = multi_io_model()
    model.save(path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(legacy_h5, "save_weights_to_group", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.h5"]


@lamina.saving.register_keras_serializable(package="legacy_test")
class LegacyH5Scale(lamina.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_custom_layer_round_trip(tmp_path):
    inputs = lamina.Input((3,))
    model = lamina.Model(inputs, LegacyH5Scale(3.0, name="scale")(lamina.layers.Dense(2)(inputs)))
    model.save(tmp_path / "c.h5")
    with h5py.File(tmp_path / "c.h5", "r") as f:
        layers = json.loads(f.attrs["model_config"])["config"]["layers"]
        assert layers[-1]["class_name"] == "legacy_test>LegacyH5Scale"
    loaded = lamina.models.load_model(tmp_path / "c.h5")
    assert isinstance(loaded.get_layer("scale"), LegacyH5Scale) and loaded.get_layer("scale").factor == 3.0
    x = np.random.rand(4, 3).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
