"""The low-level patterns of Keras's PyTorch guides, against Keras 3 on its torch backend
(tests/fixtures/guide_programs/make_torch_guide_fixtures.py recorded what Keras computed from
the same initial weights):

- "writing a training loop from scratch in PyTorch": a loss object, `model.zero_grad()`,
  `loss.backward()`, gradients from `v.value.grad`, `optimizer.apply(...)`, metric objects
  updated, read and reset by hand, a validation loop;
- "customizing what happens in fit() with PyTorch": `train_step` and `test_step` overrides
  with their own loss tracker and metrics, inside `fit` and `evaluate`.

The code below is the fixture script's, with `keras` bound to lamina."""

import os

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import layers

# Dynamo (the jit_compile case) probes `.grad` of every tensor it meets and hides torch's
# warning about non-leaf tensors with a filter of its own, which this suite's "error" overrides.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The .grad attribute of a Tensor that is not a leaf:UserWarning")

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "guide_programs",
                       "torch_guides.npz")


@pytest.fixture(scope="module")
def record():
    with np.load(FIXTURE) as stored:
        return dict(stored)


def weights(record, prefix):
    count = sum(key.startswith(prefix) for key in record)
    return [record[f"{prefix}{i}"] for i in range(count)]


def classifier():
    inputs = keras.Input(shape=(12,), name="digits")
    x = layers.Dense(16, activation="relu")(inputs)
    x = layers.Dense(16, activation="relu")(x)
    outputs = layers.Dense(4, name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def training_loop_from_scratch(model, x, y, x_val, y_val):
    optimizer = keras.optimizers.Adam(learning_rate=1e-2)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    val_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    losses, train_acc, val_acc = [], [], []
    for epoch in range(2):
        for start in range(0, len(x), 16):
            x_batch = torch.from_numpy(x[start:start + 16])
            y_batch = torch.from_numpy(y[start:start + 16])
            logits = model(x_batch, training=True)
            loss_value = loss_fn(y_batch, logits)
            model.zero_grad()
            loss_value.backward()
            trainable_weights = [v for v in model.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                optimizer.apply(gradients, trainable_weights)
            train_acc_metric.update_state(y_batch, logits)
            losses.append(float(loss_value.detach().cpu().numpy()))
        train_acc.append(float(train_acc_metric.result()))
        train_acc_metric.reset_state()
        for start in range(0, len(x_val), 16):
            val_logits = model(torch.from_numpy(x_val[start:start + 16]), training=False)
            val_acc_metric.update_state(torch.from_numpy(y_val[start:start + 16]), val_logits)
        val_acc.append(float(val_acc_metric.result()))
        val_acc_metric.reset_state()
    return np.array(losses), np.array(train_acc), np.array(val_acc)


class CustomModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.loss_fn(y, y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(self.loss_fn(y, y_pred))
        self.mae_metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def regressor():
    inputs = keras.Input(shape=(12,))
    hidden = layers.Dense(8, activation="tanh")(inputs)
    return CustomModel(inputs, layers.Dense(1)(hidden))


def assert_weights_close(model, expected):
    for variable, actual, wanted in zip(model.weights, model.get_weights(), expected,
                                        strict=True):
        np.testing.assert_allclose(actual, wanted, atol=1e-5, rtol=0, err_msg=variable.path)


def test_a_training_loop_from_scratch_computes_what_keras_computes(record):
    model = classifier()
    model.set_weights(weights(record, "loop_initial_"))
    losses, train_acc, val_acc = training_loop_from_scratch(
        model, record["x"], record["y"], record["x_val"], record["y_val"])
    np.testing.assert_allclose(losses, record["loop_losses"], atol=1e-5)
    np.testing.assert_array_equal(train_acc, record["loop_train_acc"])
    np.testing.assert_array_equal(val_acc, record["loop_val_acc"])
    assert losses[-1] < losses[0]
    assert_weights_close(model, weights(record, "loop_final_"))


@pytest.mark.parametrize("jit_compile", [False, True])
def test_train_step_and_test_step_overrides_compute_what_keras_computes(record, jit_compile,
                                                                       monkeypatch):
    from lamina.trainers import step_compiler

    monkeypatch.setattr(step_compiler, "BACKEND", "aot_eager")  # (the capture, in seconds)
    torch._dynamo.reset()
    x, x_val = record["x"], record["x_val"]
    model = regressor()
    model.set_weights(weights(record, "fit_initial_"))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  jit_compile=jit_compile)
    history = model.fit(x, x.sum(axis=1, keepdims=True) / 6.0, batch_size=16, epochs=3,
                        shuffle=False, verbose=0).history
    assert sorted(history) == ["loss", "mae"]
    for key in history:
        np.testing.assert_allclose(history[key], record[f"fit_history_{key}"], atol=1e-6,
                                   err_msg=key)
    evaluation = model.evaluate(x_val, x_val.sum(axis=1, keepdims=True) / 6.0, batch_size=16,
                                verbose=0, return_dict=True)
    assert sorted(evaluation) == ["loss", "mae"]
    for key, value in evaluation.items():
        np.testing.assert_allclose(value, record[f"fit_evaluate_{key}"], atol=1e-6, err_msg=key)
    assert_weights_close(model, weights(record, "fit_final_"))
