"""Each new optimizer trains a small model through `compile(optimizer="name")` and `fit`, and a
MultiOptimizer routes a real model's variables by their paths."""

import numpy as np
import pytest
import torch

from lamina import layers
from lamina import models
from lamina import optimizers


def _data():
    generator = np.random.default_rng(0)
    x = generator.normal(size=(64, 4)).astype("float32")
    y = (x @ generator.normal(size=(4, 2))).astype("float32")
    return x, y


def _model():
    torch.manual_seed(0)
    return models.Sequential([
        layers.Input((4,)), layers.Dense(8, activation="relu", name="hidden"),
        layers.Dense(2, name="head"),
    ])


@pytest.mark.parametrize("name, class_name", [
    ("adafactor", "Adafactor"), ("ftrl", "Ftrl"), ("lamb", "Lamb"), ("muon", "Muon"),
    ("schedulefreeadamw", "ScheduleFreeAdamW"),
])
def test_fit_by_name(name, class_name):
    x, y = _data()
    model = _model()
    model.compile(optimizer=name, loss="mse")
    assert type(model.optimizer) is getattr(optimizers, class_name)
    before = [w.detach().clone() for w in model.trainable_weights]
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert int(model.optimizer.iterations) == 12
    for old, new in zip(before, model.trainable_weights):
        assert torch.isfinite(new).all() and not torch.equal(old, new.detach())


def test_fit_with_a_multi_optimizer_routes_by_layer_path():
    x, y = _data()
    model = _model()
    frozen_head = optimizers.SGD(learning_rate=0.0)
    # Keras paths: "sequential/head/kernel" when built, "head/kernel" when loaded from a file.
    optimizer = optimizers.MultiOptimizer(
        optimizers.OptimizerMap(optimizers.Adam(0.01), {"(.*/)?head/.*": frozen_head}))
    model.compile(optimizer=optimizer, loss="mse")
    head = [w.detach().clone() for w in model.get_layer("head").trainable_weights]
    hidden = [w.detach().clone() for w in model.get_layer("hidden").trainable_weights]
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    for old, new in zip(head, model.get_layer("head").trainable_weights):
        assert torch.equal(old, new.detach())  # learning rate 0: untouched
    for old, new in zip(hidden, model.get_layer("hidden").trainable_weights):
        assert not torch.equal(old, new.detach())
    assert int(optimizer.iterations) == 8 and int(frozen_head.iterations) == 8
