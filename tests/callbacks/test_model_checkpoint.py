"""ModelCheckpoint in real `fit` runs: which files appear, what they hold, and the errors."""

import os

import numpy as np
import pytest

import lamina
from lamina.callbacks.lambda_callback import LambdaCallback
from lamina.callbacks.model_checkpoint import ModelCheckpoint

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3)).astype("float32")
Y = (X.sum(1, keepdims=True) > 0).astype("float32")


def _model():
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(4, activation="relu"),
                               lamina.layers.Dense(1, activation="sigmoid")])
    model.compile(lamina.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
    return model


def _fit(model, callbacks, epochs=3, validation_split=0.25):
    # 30 training samples in batches of 10: 3 batches per epoch.
    return model.fit(X, Y, batch_size=10, validation_split=validation_split, epochs=epochs,
                     verbose=0, callbacks=callbacks)


def _weights_per_epoch(model, store):
    return LambdaCallback(on_epoch_end=lambda epoch, logs: store.append(
        [np.copy(w) for w in model.get_weights()]))


def _assert_same_weights(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def _fake_metric(values):
    """Put a scripted `val_score` into the epoch logs (runs before the checkpoint callback)."""
    def inject(epoch, logs):
        logs["val_score"] = values[epoch]
    return LambdaCallback(on_epoch_end=inject)


# ---------------------------------------------------------------- every epoch
def test_saves_every_epoch_with_formatted_names(tmp_path):
    model = _model()
    pattern = str(tmp_path / "run" / "ckpt-{epoch:02d}-{val_loss:.3f}.keras")
    history = _fit(model, [ModelCheckpoint(pattern)])
    expected = [f"ckpt-{e + 1:02d}-{loss:.3f}.keras"
                for e, loss in enumerate(history.history["val_loss"])]
    assert sorted(os.listdir(tmp_path / "run")) == expected  # the directory was created
    restored = lamina.models.load_model(tmp_path / "run" / expected[-1])
    _assert_same_weights(restored.get_weights(), model.get_weights())
    np.testing.assert_allclose(restored.predict(X, verbose=0), model.predict(X, verbose=0))


def test_legacy_metric_names_in_filepath_and_monitor(tmp_path):
    model = _model()
    checkpoint = ModelCheckpoint(str(tmp_path / "w-{epoch}-{val_acc:.2f}-{acc:.2f}.weights.h5"),
                                 monitor="val_acc", save_best_only=True, mode="max",
                                 save_weights_only=True)
    with pytest.warns(DeprecationWarning, match="'val_acc' is the Keras 2 name of 'val_accuracy'"):
        history = _fit(model, [checkpoint], epochs=1)
    h = history.history
    assert os.listdir(tmp_path) == [f"w-1-{h['val_accuracy'][0]:.2f}-{h['accuracy'][0]:.2f}"
                                    ".weights.h5"]


# ---------------------------------------------------------------- best only
def test_best_only_keeps_the_best_epoch_of_val_loss(tmp_path):
    model, weights = _model(), []
    path = tmp_path / "best.keras"
    history = _fit(model, [_weights_per_epoch(model, weights),
                           ModelCheckpoint(path, save_best_only=True)], epochs=4)
    best_epoch = int(np.argmin(history.history["val_loss"]))
    _assert_same_weights(lamina.models.load_model(path).get_weights(), weights[best_epoch])


@pytest.mark.parametrize("mode, threshold, saved", [
    ("min", None, [1, 2, 4]),
    ("max", None, [1]),
    ("min", 0.35, [2, 4]),   # initial_value_threshold must be beaten first
    ("max", 0.6, []),
])
def test_best_only_decisions(tmp_path, mode, threshold, saved):
    scores = [0.5, 0.3, 0.4, 0.2, 0.25]
    checkpoint = ModelCheckpoint(str(tmp_path / "m-{epoch}.keras"), monitor="val_score",
                                 mode=mode, save_best_only=True,
                                 initial_value_threshold=threshold)
    _fit(_model(), [_fake_metric(scores), checkpoint], epochs=5)
    assert sorted(os.listdir(tmp_path)) == [f"m-{e}.keras" for e in saved]


def test_best_only_overwrites_a_fixed_name_with_the_best_weights(tmp_path):
    model, weights = _model(), []
    path = tmp_path / "best.weights.h5"
    _fit(model, [_fake_metric([0.5, 0.3, 0.4, 0.2, 0.25]), _weights_per_epoch(model, weights),
                 ModelCheckpoint(path, monitor="val_score", mode="min", save_best_only=True,
                                 save_weights_only=True)], epochs=5)
    fresh = _model()
    fresh.load_weights(path)
    _assert_same_weights(fresh.get_weights(), weights[3])


def test_best_only_verbose_messages(tmp_path, capsys):
    checkpoint = ModelCheckpoint(str(tmp_path / "b.keras"), monitor="val_score", mode="min",
                                 save_best_only=True, verbose=1)
    _fit(_model(), [_fake_metric([0.5, 0.7]), checkpoint], epochs=2)
    out = capsys.readouterr().out
    assert (f"Epoch 1: val_score improved from None to 0.50000, saving model to "
            f"{tmp_path / 'b.keras'}") in out
    assert "Epoch 2: val_score did not improve from 0.50000" in out
    # Keras 3.15 then says it is done (once: epoch 2 saved nothing)
    assert out.count("finished saving model to") == 1
    assert f"Epoch 1: finished saving model to {tmp_path / 'b.keras'}" in out


def test_best_only_without_the_monitored_value_warns_and_saves(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True)
    with pytest.warns(UserWarning, match="conditioned on metric `val_loss` which is not "
                                         "available. Available metrics are: accuracy,loss"):
        _fit(_model(), [checkpoint], epochs=1, validation_split=0.0)
    assert os.listdir(tmp_path) == ["m.keras"]


# ---------------------------------------------------------------- every N batches
def test_save_freq_in_batches(tmp_path):
    model, saved_weights = _model(), {}
    checkpoint = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.weights.h5"),
                                 save_weights_only=True, save_freq=2)

    def remember(batch, logs):
        saved_weights[len(saved_weights) + 1] = [np.copy(w) for w in model.get_weights()]

    _fit(model, [LambdaCallback(on_train_batch_end=remember), checkpoint], epochs=2)
    # Batches are counted across epochs: global batches 2, 4, 6 of 3-batch epochs.
    assert sorted(os.listdir(tmp_path)) == ["e1-b2.weights.h5", "e2-b1.weights.h5",
                                            "e2-b3.weights.h5"]
    fresh = _model()
    fresh.load_weights(tmp_path / "e2-b1.weights.h5")
    _assert_same_weights(fresh.get_weights(), saved_weights[4])


def test_batch_level_best_only_reads_batch_logs(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "b{batch}-{loss:.4f}.keras"), monitor="loss",
                                 save_best_only=True, save_freq=1)
    losses = []
    record = LambdaCallback(on_train_batch_end=lambda b, logs: losses.append(float(logs["loss"])))
    _fit(_model(), [record, checkpoint], epochs=1)
    best, expected = None, []
    for batch, loss in enumerate(losses):
        if best is None or loss < best:
            best = loss
            expected.append(f"b{batch + 1}-{loss:.4f}.keras")
    assert sorted(os.listdir(tmp_path)) == sorted(expected)


# ---------------------------------------------------------------- Keras 2 files and arguments
def test_legacy_h5_model_and_weights(tmp_path):
    model = _model()
    _fit(model, [ModelCheckpoint(str(tmp_path / "model.h5")),
                 ModelCheckpoint(str(tmp_path / "weights.{epoch:02d}.hdf5"),
                                 save_weights_only=True)], epochs=1)
    restored = lamina.models.load_model(tmp_path / "model.h5")
    _assert_same_weights(restored.get_weights(), model.get_weights())
    fresh = _model()
    fresh.load_weights(tmp_path / "weights.01.hdf5")
    _assert_same_weights(fresh.get_weights(), model.get_weights())


def test_keras2_period_saves_every_n_epochs(tmp_path):
    with pytest.warns(DeprecationWarning, match=r"period=N\) is Keras 2 API"):
        checkpoint = ModelCheckpoint(str(tmp_path / "m{epoch}.keras"), period=2)
    _fit(_model(), [checkpoint], epochs=5)
    assert sorted(os.listdir(tmp_path)) == ["m2.keras", "m4.keras"]


# ---------------------------------------------------------------- errors
def test_filepath_extension_errors(tmp_path):
    with pytest.raises(ValueError, match=r"must end in `\.keras` \(Keras 3 format\) or `\.h5`.*"
                                         r"Received: filepath=ckpt"):
        ModelCheckpoint("ckpt")
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`.*filepath=m\.keras"):
        ModelCheckpoint("m.keras", save_weights_only=True)
    with pytest.raises(ValueError, match=r"names a weights file.*Pass save_weights_only=True"):
        ModelCheckpoint("m.weights.h5")
    ModelCheckpoint("m.pt", save_weights_only=True)  # a PyTorch state_dict is fine


def test_argument_errors():
    with pytest.raises(ValueError, match="Unrecognized save_freq: 'batch'"):
        ModelCheckpoint("m.keras", save_freq="batch")
    with pytest.raises(ValueError, match="Unrecognized save_freq: 0"):
        ModelCheckpoint("m.keras", save_freq=0)
    with pytest.raises(TypeError, match="Did you mean 'save_best_only'"):
        ModelCheckpoint("m.keras", save_best_onyl=True)


def test_missing_format_field_names_the_available_ones(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "m-{batch}.keras"))
    with pytest.raises(KeyError, match=r"no value for \{batch\}\. Available names: acc, "
                                       r"accuracy, epoch, loss\. `\{batch\}` is only filled "
                                       r"when save_freq is a number"):
        _fit(_model(), [checkpoint], epochs=1, validation_split=0.0)
    checkpoint = ModelCheckpoint(str(tmp_path / "m-{val_los}.keras"))
    with pytest.raises(KeyError, match=r"no value for \{val_los\}"):
        _fit(_model(), [checkpoint], epochs=1)


def test_existing_directory_is_not_a_file_path(tmp_path):
    (tmp_path / "taken.keras").mkdir()
    with pytest.raises(IsADirectoryError, match="is an existing directory"):
        _fit(_model(), [ModelCheckpoint(str(tmp_path / "taken.keras"))], epochs=1)
