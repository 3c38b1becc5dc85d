"""Replay training runs recorded with real Keras 3 (fixtures/make_fixtures.py) and compare.

Same initial weights, same data, same batches (shuffle=False): the history, the final weights,
evaluate() and predict() must match Keras to float32 accumulation error.
"""

import json
import pathlib

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.datasets import pima_indians_diabetes

RUNS = json.loads((pathlib.Path(__file__).parent / "fixtures" / "keras_training_runs.json").read_text())


def replay(name, model, x, y, compile_kwargs, fit_kwargs):
    run = RUNS[name]
    model.set_weights([np.asarray(w, "float32") for w in run["initial_weights"]])
    model.compile(**compile_kwargs)
    history = model.fit(x, y, shuffle=False, verbose=0, **fit_kwargs)
    assert set(history.history) == set(run["history"])
    for key, values in run["history"].items():
        np.testing.assert_allclose(history.history[key], values, rtol=2e-4, atol=1e-5, err_msg=key)
    for got, want in zip(model.get_weights(), run["final_weights"]):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-3, atol=2e-5)
    evaluated = model.evaluate(x, y, verbose=0, return_dict=True)
    assert evaluated == pytest.approx(run["evaluate"], rel=2e-4, abs=1e-5)
    predicted = model.predict(x[:4] if not isinstance(x, list) else x[:4], verbose=0)
    if isinstance(predicted, list):
        for got, want in zip(predicted, run["predict"]):
            np.testing.assert_allclose(got, np.asarray(want), rtol=1e-3, atol=1e-5)
    else:
        np.testing.assert_allclose(predicted, np.asarray(run["predict"]), rtol=1e-3, atol=1e-5)


def test_pima_sequential_adam_with_validation_split_matches_keras():
    x, y = pima_indians_diabetes.load_data()
    x, y = x[:200], y[:200]
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")
    model = lamina.Sequential([lamina.Input(shape=(8,)), layers.Dense(12, activation="relu"),
                               layers.Dense(8, activation="relu"), layers.Dense(1, activation="sigmoid")])
    replay("pima_adam", model, x, y,
           dict(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"]),
           dict(epochs=3, batch_size=10, validation_split=0.2))


def test_functional_classifier_sgd_nesterov_matches_keras():
    rng = np.random.RandomState(0)
    x = rng.randn(64, 6).astype("float32")
    y = rng.randint(0, 3, 64)
    inputs = lamina.Input(shape=(6,))
    h = layers.Dense(16, activation="relu")(inputs)
    h = layers.Dense(16, activation="tanh")(h)
    model = lamina.Model(inputs, layers.Dense(3, activation="softmax")(h))
    replay("functional_sgd_momentum", model, x, y,
           dict(loss="sparse_categorical_crossentropy",
                optimizer=lamina.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
                metrics=["accuracy"]),
           dict(epochs=3, batch_size=16))


def test_multi_output_rmsprop_with_loss_weights_matches_keras():
    rng = np.random.RandomState(0)
    x = rng.randn(64, 6).astype("float32")
    rng.randint(0, 3, 64)  # keep the random stream aligned with the fixture script
    inputs = lamina.Input(shape=(6,))
    shared = layers.Dense(8, activation="relu")(inputs)
    model = lamina.Model(inputs, [layers.Dense(1, name="left")(shared),
                                  layers.Dense(2, activation="softmax", name="right")(shared)])
    y_left = rng.randn(64, 1).astype("float32")
    y_right = np.eye(2)[rng.randint(0, 2, 64)].astype("float32")
    replay("multi_output_rmsprop", model, x, [y_left, y_right],
           dict(loss=["mse", "categorical_crossentropy"], loss_weights=[0.5, 2.0],
                optimizer=lamina.optimizers.RMSprop(learning_rate=0.01),
                metrics=[["mae"], ["accuracy"]]),
           dict(epochs=2, batch_size=32))
