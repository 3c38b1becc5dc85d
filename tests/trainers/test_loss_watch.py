"""fit warns once when the loss becomes NaN or infinite, naming the epoch and the step."""

import warnings

import numpy as np
import pytest

import lamina as keras
from lamina import layers


def _model(learning_rate):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                              layers.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate), "mse")
    return model


def _data():
    rng = np.random.RandomState(0)
    return rng.rand(64, 4).astype("float32"), rng.rand(64, 1).astype("float32")


def test_an_overflow_is_reported_with_its_epoch_and_step():
    x, y = _data()
    x[37] = 1e30  # finite, but its squared error overflows: batch 37 // 16 = 2 of epoch 1
    model = _model(0.01)
    with pytest.warns(RuntimeWarning, match=r"loss became (inf|nan) in epoch 1 at step 2.*"
                                            r"TerminateOnNaN") as record:
        model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    assert len([w for w in record if "loss became" in str(w.message)]) == 1  # once per fit


def test_diverging_training_is_reported():
    x, y = _data()
    with pytest.warns(RuntimeWarning, match=r"loss became (nan|inf) in epoch \d+ at step \d+"):
        _model(1e6).fit(x * 1e3, y * 1e3, batch_size=16, epochs=5, verbose=0)


def test_silent_when_terminate_on_nan_is_used_or_the_loss_is_finite():
    x, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _model(0.01).fit(x, y, batch_size=16, epochs=2, verbose=0)
        x[5] = 1e30
        _model(0.01).fit(x, y, batch_size=16, epochs=2, verbose=0,
                         callbacks=[keras.callbacks.TerminateOnNaN()])


def test_the_model_keeps_no_step_losses_after_fit():
    model = _model(0.01)
    model.fit(*_data(), batch_size=16, verbose=0)
    assert "_step_losses" not in model.__dict__
