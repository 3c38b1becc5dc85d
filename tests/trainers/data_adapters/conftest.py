"""Shared pieces for the data adapter tests.

`train_through` / `evaluate_through` / `predict_through` drive a model with an adapter exactly
as fit / evaluate / predict are meant to (peek to build, `batches()` per epoch, `on_epoch_end`,
`close`), so the adapters are tested end to end without going through the trainer.
Tests get them through the `kit` fixture (test modules cannot import each other here).
"""

import json
import os
import types

import numpy as np
import pytest
import torch

import lamina

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="session")
def keras_runs():
    with open(os.path.join(HERE, "fixtures", "keras_data_runs.json")) as f:
        return json.load(f)


def reference_data():
    """The same 10 samples as fixtures/make_fixtures.py."""
    rng = np.random.RandomState(0)
    x = rng.randn(10, 3).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")
    sample_weight = np.linspace(0.5, 2.0, 10).astype("float32")
    return x, y, sample_weight


def reference_batches(with_weights=False):
    x, y, sample_weight = reference_data()
    for start in range(0, 10, 4):
        part = slice(start, start + 4)
        yield (x[part], y[part], sample_weight[part]) if with_weights else (x[part], y[part])


def reference_model():
    model = lamina.Sequential([lamina.Input(shape=(3,)), lamina.layers.Dense(1)])
    model.set_weights([np.full((3, 1), 0.1, "float32"), np.zeros(1, "float32")])
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


def train_through(model, adapter, epochs=1):
    x, _, _ = adapter.peek()
    model._ensure_built(x)
    losses = []
    try:
        for _ in range(epochs):
            model.reset_metrics()
            steps = 0
            for batch in adapter.batches():
                model.train_step(batch)
                steps += 1
            adapter.on_epoch_end()
            if steps == 0:
                break
            losses.append(float(model.get_metrics_result()["loss"]))
    finally:
        adapter.close()
    return losses


def evaluate_through(model, adapter):
    x, _, _ = adapter.peek()
    model._ensure_built(x)
    model.reset_metrics()
    with torch.no_grad():
        for batch in adapter.batches():
            model.test_step(batch)
    adapter.on_epoch_end()
    adapter.close()
    return float(model.get_metrics_result()["loss"])


def predict_through(model, adapter):
    with torch.no_grad():
        outputs = [model.predict_step(batch) for batch in adapter.batches()]
    adapter.on_epoch_end()
    adapter.close()
    return torch.cat(outputs).numpy()


def epoch_rows(adapter, epochs=1):
    """The first feature of every sample, batch by batch, epoch by epoch (to check ordering)."""
    result = []
    for _ in range(epochs):
        result.append([batch[0][:, 0].tolist() for batch in adapter.batches()])
        adapter.on_epoch_end()
    return result


@pytest.fixture
def kit():
    return types.SimpleNamespace(
        reference_data=reference_data, reference_batches=reference_batches,
        reference_model=reference_model, train_through=train_through,
        evaluate_through=evaluate_through, predict_through=predict_through,
        epoch_rows=epoch_rows,
    )
