"""EarlyStopping and ReduceLROnPlateau in real `fit` runs: their decisions against Keras 3
(fixtures/monitor_decisions.json), restoring the best weights, the learning rate in the logs,
and how the monitored key is found (Keras 2 names, unknown keys, mode="auto")."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina.callbacks.early_stopping import EarlyStopping
from lamina.callbacks.lambda_callback import LambdaCallback
from lamina.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau

FIXTURES = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "monitor_decisions.json").read_text()
)
X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, 0.2]], dtype="float32")
Y = np.array([[0.0], [1.0], [1.0], [0.0]], dtype="float32")


def _model(learning_rate=0.1, metrics=("accuracy",)):
    model = lamina.Sequential([lamina.Input((2,)), lamina.layers.Dense(1, activation="sigmoid")])
    model.compile(lamina.optimizers.SGD(learning_rate), "binary_crossentropy",
                  metrics=list(metrics))
    return model


def _script(key, values):
    """A callback (placed first) that writes `values[epoch]` into the logs under `key`."""
    return LambdaCallback(on_epoch_end=lambda epoch, logs: logs.__setitem__(key, values[epoch]))


def _fit(model, key, values, callback, **kwargs):
    return model.fit(X, Y, epochs=len(values), verbose=0, validation_data=(X, Y),
                     callbacks=[_script(key, values), callback], **kwargs)


def _case_id(case):
    return f"{case['callback']}({case['monitor']},{case['kwargs']})"


@pytest.mark.parametrize("case", [c for c in FIXTURES["cases"] if c["callback"] == "EarlyStopping"],
                         ids=_case_id)
def test_early_stopping_decides_as_keras(case):
    stopper = EarlyStopping(monitor=case["monitor"], **case["kwargs"])
    history = _fit(_model(), case["monitor"], case["values"], stopper)
    assert len(history.epoch) == case["epochs_run"]
    assert stopper.stopped_epoch == case["stopped_epoch"]
    assert stopper.best_epoch == case["best_epoch"]
    assert stopper.best == pytest.approx(case["best"])


@pytest.mark.parametrize("case",
                         [c for c in FIXTURES["cases"] if c["callback"] == "ReduceLROnPlateau"],
                         ids=_case_id)
def test_reduce_lr_on_plateau_decides_as_keras(case):
    reducer = ReduceLROnPlateau(monitor=case["monitor"], **case["kwargs"])
    model = _model()
    history = _fit(model, case["monitor"], case["values"], reducer)
    assert len(history.epoch) == case["epochs_run"]
    np.testing.assert_allclose(history.history["learning_rate"], case["learning_rate"],
                               rtol=1e-6)
    # The last logged rate is the one in use during the last epoch; a reduction at its end
    # may have lowered it once more.
    final = model.optimizer.learning_rate.item()
    assert final == pytest.approx(case["learning_rate"][-1], rel=1e-6) or final == pytest.approx(
        max(case["learning_rate"][-1] * case["kwargs"].get("factor", 0.1),
            case["kwargs"].get("min_lr", 0.0)), rel=1e-6)


def test_early_stopping_restores_the_weights_of_the_best_epoch():
    # Validation targets are half the training targets: val_loss falls while the model moves
    # towards them, then rises as it keeps learning the training targets.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x @ np.array([[2.0], [-1.0], [0.5]], dtype="float32")
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1, use_bias=False)])
    model.layers[0].set_weights([np.zeros((3, 1), "float32")])
    model.compile(lamina.optimizers.SGD(0.05), "mse")
    snapshots = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(
        [np.copy(w) for w in model.get_weights()]))
    stopper = EarlyStopping(patience=3, restore_best_weights=True)
    history = model.fit(x, y, batch_size=32, epochs=50, verbose=0,
                        validation_data=(x, 0.5 * y), callbacks=[record, stopper])
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    assert 0 < best < len(val_loss) - 1, "the scenario must have an interior best epoch"
    assert len(val_loss) == best + 3 + 1  # stopped after `patience` epochs without progress
    assert model.stop_training and stopper.best_epoch == best
    np.testing.assert_array_equal(model.get_weights()[0], snapshots[best][0])
    assert not np.array_equal(snapshots[-1][0], snapshots[best][0])


def test_early_stopping_verbose_messages(capsys):
    stopper = EarlyStopping(patience=1, restore_best_weights=True, verbose=1)
    _fit(_model(), "val_loss", [0.5, 0.4, 0.6, 0.7, 0.8], stopper)
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out


def test_reduce_lr_on_plateau_lowers_the_rate_the_optimizer_uses():
    model = _model(learning_rate=0.5)
    lrs_in_use = []
    probe = LambdaCallback(on_epoch_begin=lambda epoch, logs: lrs_in_use.append(
        model.optimizer.learning_rate.item()))
    reducer = ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, min_delta=10.0,
                                verbose=1)
    history = model.fit(X, Y, epochs=4, verbose=0, callbacks=[probe, reducer])
    # min_delta=10: no epoch counts as an improvement after the first, so it halves each epoch.
    np.testing.assert_allclose(lrs_in_use, [0.5, 0.5, 0.25, 0.125])
    np.testing.assert_allclose(history.history["learning_rate"], lrs_in_use)
    assert list(history.history)[-1] == "learning_rate"


def test_reduce_lr_on_plateau_arguments():
    with pytest.raises(ValueError, match=r"does not support a factor >= 1.0 .*Received factor=1.5"):
        ReduceLROnPlateau(factor=1.5)
    with pytest.warns(DeprecationWarning, match="epsilon"):
        reducer = ReduceLROnPlateau(epsilon=0.01)
    assert reducer.min_delta == 0.01
    with pytest.raises(TypeError, match="'patiance'. Did you mean 'patience'"):
        ReduceLROnPlateau(patiance=3)


def test_keras_2_monitor_name_val_acc_finds_val_accuracy():
    stopper = EarlyStopping(monitor="val_acc", patience=1)
    with pytest.warns(DeprecationWarning, match="'val_acc' is the Keras 2 name of 'val_accuracy'"):
        _fit(_model(), "val_accuracy", [0.5, 0.6, 0.55, 0.5, 0.4], stopper)
    assert stopper.stopped_epoch == 2 and stopper.best == pytest.approx(0.6)  # mode: max


def test_val_accuracy_finds_a_metric_compiled_as_acc():
    model = _model(metrics=("acc",))
    stopper = EarlyStopping(monitor="val_accuracy", patience=1)
    history = _fit(model, "val_acc", [0.5, 0.6, 0.55, 0.5, 0.4], stopper)
    assert "val_acc" in history.history and len(history.epoch) == 3


def test_unknown_monitor_warns_with_the_available_keys():
    stopper = EarlyStopping(monitor="val_los")
    with pytest.warns(UserWarning, match=r"`val_los` which is not available. Available metrics "
                                         r"are: .*val_loss.*Did you mean `val_loss`\?"):
        history = _model().fit(X, Y, epochs=2, verbose=0, validation_data=(X, Y),
                               callbacks=[stopper])
    assert len(history.epoch) == 2
    with pytest.warns(UserWarning, match="Learning rate reduction is conditioned on metric"):
        _model().fit(X, Y, epochs=1, verbose=0, callbacks=[ReduceLROnPlateau()])


@pytest.mark.parametrize("monitor, metric, expected", [
    ("val_loss", "mae", "min"),
    ("val_mae", "mae", "min"),
    ("val_accuracy", "accuracy", "max"),
    ("val_auc", "auc", "max"),
    ("val_prec", lamina.metrics.Precision(name="prec"), "max"),
    ("val_false_negatives", "false_negatives", "min"),
    ("val_f1", lamina.metrics.F1Score(name="f1", average="macro"), "max"),
    ("val_mean_squared_error", "mean_squared_error", "min"),
])
def test_mode_auto_infers_the_direction(monitor, metric, expected):
    stopper = EarlyStopping(monitor=monitor)
    _model(metrics=(metric,)).fit(X, Y, epochs=1, verbose=0, validation_data=(X, Y),
                                  callbacks=[stopper])
    assert stopper.monitor_op(1.0, 2.0) is (expected == "min")


def test_mode_auto_refuses_to_guess_for_an_unknown_metric():
    def my_metric(y_true, y_pred):
        return torch.abs(y_true - y_pred).mean(-1)

    with pytest.raises(ValueError, match=r"monitor='val_my_metric'.*Pass mode='max'"):
        _model(metrics=(my_metric,)).fit(X, Y, epochs=2, verbose=0, validation_data=(X, Y),
                                         callbacks=[EarlyStopping(monitor="val_my_metric")])
    stopper = EarlyStopping(monitor="val_my_metric", mode="max")
    _model(metrics=(my_metric,)).fit(X, Y, epochs=1, verbose=0, validation_data=(X, Y),
                                     callbacks=[stopper])
    assert stopper.monitor_op(2.0, 1.0)


def test_unknown_mode_is_an_error():
    # Keras warns and falls back to "auto"; a typo there can watch the metric the wrong way.
    with pytest.raises(ValueError, match="`mode` must be 'auto', 'min' or 'max'"):
        EarlyStopping(mode="maximum")
