"""LearningRateScheduler, TerminateOnNaN, CSVLogger and LambdaCallback in real `fit` runs."""

import csv

import numpy as np
import pytest
import torch

import lamina
from lamina.callbacks.csv_logger import CSVLogger
from lamina.callbacks.lambda_callback import LambdaCallback
from lamina.callbacks.learning_rate_scheduler import LearningRateScheduler
from lamina.callbacks.terminate_on_nan import TerminateOnNaN

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")).astype("float32")


def _model(learning_rate=0.05, loss="mse", metrics=("mae",)):
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
    model.compile(lamina.optimizers.SGD(learning_rate), loss, metrics=list(metrics))
    return model


# ---------------------------------------------------------------- LearningRateScheduler
def test_scheduler_sets_the_rate_each_epoch_and_logs_it():
    model = _model(learning_rate=0.1)
    in_use = []
    probe = LambdaCallback(on_train_batch_begin=lambda batch, logs: in_use.append(
        model.optimizer.learning_rate.item()) if batch == 0 else None)
    scheduler = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5)
    history = model.fit(X, Y, batch_size=8, epochs=4, verbose=0, callbacks=[scheduler, probe])
    expected = [0.1, 0.1, 0.05, 0.025]
    np.testing.assert_allclose(in_use, expected, rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], expected, rtol=1e-6)


def test_scheduler_rate_drives_the_updates():
    """A rate of 0 in epoch 1 leaves the weights untouched during that epoch."""
    model = _model()
    weights = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: weights.append(
        np.copy(model.get_weights()[0])))
    scheduler = LearningRateScheduler(lambda epoch: 0.0 if epoch == 1 else 0.05)  # Keras 2 form
    model.fit(X, Y, batch_size=4, epochs=3, verbose=0, callbacks=[scheduler, record])
    np.testing.assert_array_equal(weights[0], weights[1])
    assert not np.array_equal(weights[1], weights[2])


def test_scheduler_verbose_and_errors(capsys):
    model = _model()
    model.fit(X, Y, epochs=1, verbose=0,
              callbacks=[LearningRateScheduler(lambda epoch, lr: 0.02, verbose=1)])
    out = capsys.readouterr().out
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.02." in out
    with pytest.raises(ValueError, match="should be a float. Got: 'fast'"):
        model.fit(X, Y, epochs=1, verbose=0,
                  callbacks=[LearningRateScheduler(lambda epoch, lr: "fast")])
    with pytest.raises(TypeError, match=r"expects a function schedule\(epoch, lr\)"):
        LearningRateScheduler(0.01)


def test_scheduler_keeps_type_errors_raised_inside_the_schedule():
    def broken(epoch, lr):
        return lr + "x"

    with pytest.raises(TypeError, match="unsupported operand"):
        _model().fit(X, Y, epochs=1, verbose=0, callbacks=[LearningRateScheduler(broken)])


def test_scheduler_on_an_optimizer_with_a_schedule_says_why_it_cannot():
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
    decay = lamina.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9)
    model.compile(lamina.optimizers.SGD(decay), "mse")
    with pytest.raises(TypeError, match="cannot be set to a number"):
        model.fit(X, Y, epochs=1, verbose=0,
                  callbacks=[LearningRateScheduler(lambda epoch, lr: lr)])


# ---------------------------------------------------------------- TerminateOnNaN
def _nan_at_third_batch_loss(y_true, y_pred):
    # y_true is negative only in the third batch (rows 8-11): sqrt gives NaN there.
    return torch.mean(torch.square(y_true - y_pred), dim=-1) + torch.sqrt(y_true[..., 0]) * 0


def _nan_data():
    y = np.abs(Y).copy()
    y[8:12] = -1.0
    return y


def test_terminate_on_nan_stops_at_the_bad_batch(capsys):
    model = _model(loss=_nan_at_third_batch_loss, metrics=())
    batches = []
    counter = LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    history = model.fit(X, _nan_data(), batch_size=4, epochs=5, shuffle=False, verbose=0,
                        callbacks=[counter, TerminateOnNaN()])
    assert batches == [0, 1, 2]
    assert len(history.epoch) == 1 and np.isnan(history.history["loss"][0])
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_can_raise():
    model = _model(loss=_nan_at_third_batch_loss, metrics=())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 2"):
        model.fit(X, _nan_data(), batch_size=4, epochs=2, shuffle=False, verbose=0,
                  callbacks=[TerminateOnNaN(raise_error=True)])


def test_terminate_on_nan_lets_finite_training_run():
    history = _model().fit(X, Y, batch_size=4, epochs=3, verbose=0, callbacks=[TerminateOnNaN()])
    assert len(history.epoch) == 3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_terminate_on_nan_on_cuda_stops_one_batch_later_without_a_sync_per_step():
    model = _model(loss=_nan_at_third_batch_loss, metrics=())
    batches = []
    counter = LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    with pytest.raises(RuntimeError, match="at batch 2"):
        model.fit(X, _nan_data(), batch_size=4, shuffle=False, verbose=0,
                  callbacks=[counter, TerminateOnNaN(raise_error=True)])
    assert batches == [0, 1, 2, 3]


# ---------------------------------------------------------------- CSVLogger
def _read(path, separator=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=separator))


def test_csv_logger_writes_the_history(tmp_path):
    path = tmp_path / "log.csv"
    history = _model().fit(X, Y, epochs=3, verbose=0, validation_split=0.25,
                           callbacks=[CSVLogger(path)])
    rows = _read(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]
    for column, key in enumerate(rows[0][1:], start=1):
        assert [float(row[column]) for row in rows[1:]] == history.history[key]  # exact repr
    assert path.read_bytes().count(b"\r\n") == 4  # the csv module's excel dialect, as Keras


def test_csv_logger_without_validation_writes_na_columns_and_a_separator(tmp_path):
    path = tmp_path / "log.tsv"
    _model().fit(X, Y, epochs=2, verbose=0, callbacks=[CSVLogger(str(path), separator="\t")])
    rows = _read(path, "\t")
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert rows[1][3:] == ["NA", "NA"] and len(rows) == 3


def test_csv_logger_appends_without_a_second_header(tmp_path):
    path = tmp_path / "log.csv"
    model = _model()
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[CSVLogger(path)])
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[CSVLogger(path, append=True)])
    rows = _read(path)
    assert [row[0] for row in rows] == ["epoch", "0", "1", "0", "1"]
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[CSVLogger(path)])  # overwrite
    assert len(_read(path)) == 2


def test_csv_logger_rows_are_on_disk_while_training_runs(tmp_path):
    path = tmp_path / "log.csv"
    seen = []
    peek = LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(len(_read(path))))
    _model().fit(X, Y, epochs=3, verbose=0, callbacks=[CSVLogger(path), peek])
    assert seen == [0, 2, 3]  # before epoch 1: header + one row, ...


def test_csv_logger_records_the_learning_rate_of_a_callback_before_it(tmp_path):
    path = tmp_path / "log.csv"
    scheduler = LearningRateScheduler(lambda epoch, lr: 0.01 * (epoch + 1))
    _model().fit(X, Y, epochs=2, verbose=0, callbacks=[scheduler, CSVLogger(path)])
    rows = _read(path)
    assert rows[0][1] == "learning_rate"
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], [0.01, 0.02], rtol=1e-6)


# ---------------------------------------------------------------- LambdaCallback
def test_lambda_callback_calls_each_hook_with_keras_arguments():
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch, logs)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch)),
        on_train_end=lambda logs: calls.append(("train_end", sorted(logs))),
        on_test_end=lambda logs: calls.append(("test_end", sorted(logs))),
    )
    _model().fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[callback])
    assert calls == [
        ("train_begin", {}), ("epoch_begin", 0, {}), ("batch_end", 0), ("batch_end", 1),
        ("epoch_end", 0, ["loss", "mae"]), ("epoch_begin", 1, {}), ("batch_end", 0),
        ("batch_end", 1), ("epoch_end", 1, ["loss", "mae"]), ("train_end", ["loss", "mae"]),
    ]
    calls.clear()
    _model().evaluate(X, Y, verbose=0, callbacks=[callback])
    assert calls == [("test_end", ["loss", "mae"])]


def test_lambda_callback_keras_2_batch_hooks():
    seen = []
    callback = LambdaCallback(on_batch_end=lambda batch, logs: seen.append(float(logs["loss"])))
    history = _model().fit(X, Y, batch_size=16, epochs=2, verbose=0, callbacks=[callback])
    assert seen == pytest.approx(history.history["loss"], rel=1e-6)


def test_lambda_callback_rejects_misspelt_hooks_and_non_functions():
    with pytest.raises(TypeError, match="'on_epoch_ends'. Did you mean 'on_epoch_end'"):
        LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match=r"LambdaCallback\(on_epoch_end=...\) expects a function"):
        LambdaCallback(on_epoch_end="print")


def test_lambda_callbacks_do_not_share_hooks():
    first, second = [], []
    a = LambdaCallback(on_epoch_end=lambda epoch, logs: first.append(epoch))
    b = LambdaCallback(on_train_end=lambda logs: second.append("end"))
    _model().fit(X, Y, epochs=2, verbose=0, callbacks=[a, b])
    assert first == [0, 1] and second == ["end"]
    assert isinstance(a, LambdaCallback) and type(a).__name__ == "LambdaCallback"


# ---------------------------------------------------------------- batch logs
def test_user_callbacks_get_host_values_in_batch_logs_as_in_keras():
    """A user's batch hooks get Python floats (json.dumps(logs) works, as in Keras) and
    predict's outputs as numpy; lamina's own callbacks keep the device tensors (read lazily)
    until a user's callback has been called for the batch: from then on every callback gets
    that same dict (tests/callbacks/test_shared_batch_logs.py)."""
    import json

    from lamina.callbacks.progbar_logger import ProgbarLogger

    seen = {}

    class Recorder(lamina.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.setdefault("train", []).append(json.loads(json.dumps(logs)))

        def on_test_batch_end(self, batch, logs=None):
            seen.setdefault("test", []).append(dict(logs))

        def on_predict_batch_end(self, batch, logs=None):
            seen.setdefault("predict", []).append(logs["outputs"])

    class LazyBar(ProgbarLogger):
        def on_train_batch_end(self, batch, logs=None):
            seen.setdefault("bar", []).append(type(logs["loss"]))

    model = _model()
    history = model.fit(X, Y, batch_size=8, epochs=1, verbose=0, callbacks=[LazyBar(), Recorder()])
    assert [sorted(logs) for logs in seen["train"]] == [["loss", "mae"]] * 2
    assert seen["train"][-1]["loss"] == pytest.approx(history.history["loss"][0])
    model.evaluate(X, Y, batch_size=8, verbose=0, callbacks=[Recorder()])
    assert all(type(v) is float for logs in seen["test"] for v in logs.values())
    predictions = model.predict(X, batch_size=8, verbose=0, callbacks=[Recorder()])
    assert all(isinstance(o, np.ndarray) for o in seen["predict"])
    np.testing.assert_allclose(np.concatenate(seen["predict"]), predictions)
    assert seen["bar"] == [torch.Tensor] * 2
