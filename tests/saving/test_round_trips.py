import os
import zipfile

import numpy as np
import pytest
import torch

import lamina
from lamina import layers


def mlp(compiled=True):
    model = lamina.Sequential([lamina.Input(shape=(4,)), layers.Dense(6, activation="relu"),
                               layers.Dropout(0.2), layers.Dense(2, activation="softmax")])
    if compiled:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data(n=32, seed=0):
    rng = np.random.RandomState(seed)
    return rng.rand(n, 4).astype("float32"), rng.randint(0, 2, n)


def test_keras_archive_layout(tmp_path):
    model = mlp()
    model.fit(*data(), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    import h5py

    with zipfile.ZipFile(path) as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as f:
        assert f["layers/dense/vars/0"].shape == (4, 6)
        assert f["layers/dense_1/vars/1"].shape == (2,)
        assert len(f["layers/dropout/vars"]) == 0
        assert f["optimizer/vars/0"].dtype == np.int32 and len(f["optimizer/vars"]) == 2 + 2 * 4


@pytest.mark.parametrize("build", ["sequential", "functional", "nested"])
def test_round_trip_predictions(tmp_path, build):
    if build == "sequential":
        model = mlp()
    else:
        inputs = lamina.Input(shape=(4,), name="x")
        hidden = layers.Dense(5, activation="tanh")(inputs)
        if build == "nested":
            hidden = mlp(compiled=False)(layers.Dense(4)(hidden))
        model = lamina.Model(inputs, [layers.Dense(1, name="a")(hidden), layers.Dense(2, name="b")(hidden)])
        model.compile(optimizer="sgd", loss=["mse", "mae"])
    x = data()[0]
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = lamina.models.load_model(path)
    expected, got = model.predict(x, verbose=0), loaded.predict(x, verbose=0)
    for a, b in zip(expected if isinstance(expected, list) else [expected],
                    got if isinstance(got, list) else [got]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert type(loaded) is type(model)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd_momentum", "nadam"])
def test_resumed_fit_matches_uninterrupted_fit(tmp_path, optimizer):
    """fit 2 epochs == fit 1, save, load (with optimizer state), fit 1 more — step for step."""
    x, y = data(64)

    def fresh():
        lamina.utils.set_random_seed(5)
        model = lamina.Sequential([lamina.Input(shape=(4,)), layers.Dense(6, activation="relu"),
                                   layers.Dense(2, activation="softmax")])
        chosen = lamina.optimizers.SGD(0.1, momentum=0.9) if optimizer == "sgd_momentum" else optimizer
        model.compile(optimizer=chosen, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    reference = fresh()
    reference.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)

    first = fresh()
    first.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    first.save(tmp_path / "checkpoint.keras")
    resumed = lamina.models.load_model(tmp_path / "checkpoint.keras")
    assert int(resumed.optimizer.iterations) == 4
    history = resumed.fit(x, y, epochs=2, initial_epoch=1, batch_size=16, verbose=0, shuffle=False)
    assert history.epoch == [1]
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_weights_formats_round_trip(tmp_path):
    model = mlp()
    model.fit(*data(), epochs=1, verbose=0)
    for name in ("w.weights.h5", "w.pt"):
        clone = mlp()
        model.save_weights(tmp_path / name)
        clone.load_weights(tmp_path / name)
        for a, b in zip(clone.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_weights_mismatch_is_explained_and_skippable(tmp_path):
    model = mlp()
    model.save_weights(tmp_path / "w.weights.h5")
    other = lamina.Sequential([lamina.Input(shape=(4,)), layers.Dense(7), layers.Dropout(0.1),
                               layers.Dense(2)])
    with pytest.raises(ValueError, match=r"(?s)shape \(4, 7\).*\(4, 6\).*skip_mismatch"):
        other.load_weights(tmp_path / "w.weights.h5")
    # Keras skips a layer whose weights do not all fit, whole, and says so: dense's bias
    # (shape 6 vs 7) and the last kernel (6, 2) vs (7, 2) differ; the last bias fits but its
    # layer is skipped with the kernel.
    before = [w.copy() for w in other.get_weights()]
    with pytest.warns(UserWarning, match=r"3 weight\(s\) did not match"):
        other.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    for a, b in zip(other.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_config_and_json_round_trip_keep_compile_free(tmp_path):
    model = mlp()
    rebuilt = lamina.models.model_from_json(model.to_json())
    assert [type(l).__name__ for l in rebuilt.layers] == ["Dense", "Dropout", "Dense"]


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "PNG image"),
    (b"", "empty"),
    (b"PK\x03\x04truncated", "not a zip archive|damaged"),
])
def test_bad_keras_files_get_clear_errors(tmp_path, content, message):
    path = tmp_path / "model.keras"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        lamina.models.load_model(path)


def test_truncated_archive_and_wrong_zip(tmp_path):
    model = mlp()
    good = tmp_path / "good.keras"
    model.save(good)
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="truncated.keras"):
        lamina.models.load_model(truncated)
    other = tmp_path / "other.keras"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="lacks config.json"):
        lamina.models.load_model(other)
    with pytest.raises(FileNotFoundError):
        lamina.models.load_model(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        (tmp_path / "bad.weights.h5").write_bytes(b"nope")
        model.load_weights(tmp_path / "bad.weights.h5")


def test_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    model = mlp()
    path = tmp_path / "model.keras"
    model.save(path)
    before = path.read_bytes()
    from lamina.saving import keras_archive

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(keras_archive.weights_store, "save_weights_to_group", explode)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]  # no temporary left behind


def test_unknown_extension_says_what_to_use(tmp_path):
    with pytest.raises(ValueError, match=r"\.keras"):
        mlp().save(tmp_path / "model.bin")
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        mlp().save_weights(tmp_path / "model.bin")


def test_custom_layer_needs_registration(tmp_path):
    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    inputs = lamina.Input(shape=(3,))
    model = lamina.Model(inputs, Scale(3.0)(inputs))
    model.save(tmp_path / "custom.keras")
    with pytest.raises(ValueError, match="Scale.*register_keras_serializable"):
        lamina.models.load_model(tmp_path / "custom.keras")
    loaded = lamina.models.load_model(tmp_path / "custom.keras", custom_objects={"Scale": Scale})
    np.testing.assert_allclose(loaded.predict(np.ones((1, 3)), verbose=0), [[3.0, 3.0, 3.0]])
    with lamina.saving.custom_object_scope({"Scale": Scale}):
        assert lamina.models.load_model(tmp_path / "custom.keras").layers[1].factor == 3.0


def test_lambda_bytecode_is_refused_in_safe_mode(tmp_path):
    inputs = lamina.Input(shape=(2,))
    model = lamina.Model(inputs, layers.Lambda(lambda t: t + 1)(inputs))
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        lamina.models.load_model(tmp_path / "lambda.keras")
    loaded = lamina.models.load_model(tmp_path / "lambda.keras", safe_mode=False)
    np.testing.assert_allclose(loaded.predict(np.zeros((1, 2)), verbose=0), [[1.0, 1.0]])


def test_symbolic_ops_round_trip(tmp_path):
    inputs = lamina.Input(shape=(4, 3))
    first = inputs[:, 0]
    residual = layers.Dense(3)(first) + first
    out = lamina.ops.concatenate([residual, lamina.ops.mean(inputs[..., 1:], axis=1) * 2.0], axis=-1)
    model = lamina.Model(inputs, lamina.ops.relu(-out))
    config = model.get_config()
    add = next(entry for entry in config["layers"] if entry["class_name"] == "Add")
    assert add["module"] == "keras.src.ops.numpy" and add["config"] == {"name": "add"}
    concat = next(entry for entry in config["layers"] if entry["class_name"] == "Concatenate")
    assert concat["config"]["axis"] == -1  # fixed parameters live in the config, as in Keras
    model.save(tmp_path / "ops.keras")
    loaded = lamina.models.load_model(tmp_path / "ops.keras")
    x = np.random.rand(2, 4, 3).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


class AutoConfigDense(layers.Layer):
    """A custom layer without get_config(), as tutorials write them."""

    def __init__(self, units=32, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")

    def call(self, x):
        return x @ self.w * self.scale


def test_custom_layer_without_get_config_saves_its_arguments(tmp_path):
    layer = AutoConfigDense(4, scale=2.0, name="custom")
    assert layer.get_config() == {
        "name": "custom", "trainable": True, "units": 4, "scale": 2.0,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                  "registered_name": None},
    }
    inputs = lamina.Input(shape=(3,))
    model = lamina.Model(inputs, layer(inputs))
    model.save(tmp_path / "auto.keras")
    loaded = lamina.models.load_model(tmp_path / "auto.keras",
                                      custom_objects={"AutoConfigDense": AutoConfigDense})
    assert loaded.layers[1].units == 4 and loaded.layers[1].scale == 2.0
    x = np.random.rand(2, 3).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_arguments_that_cannot_be_saved_are_named():
    class Wrapper(layers.Layer):
        def __init__(self, function):
            super().__init__()
            self.function = function

        def call(self, x):
            return self.function(x)

    with pytest.raises(NotImplementedError, match="function.*Implement get_config"):
        Wrapper(lambda t: t).get_config()
