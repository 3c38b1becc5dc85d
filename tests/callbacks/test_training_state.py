"""`model.training_state`: what a callback can read about (and ask of) a running fit."""

import random

import numpy as np
import torch

import lamina
from lamina import layers
from lamina.mixed_precision.loss_scale import DynamicLossScale
from lamina.trainers.training_state import TrainingState

X = np.random.RandomState(0).rand(16, 3).astype("float32")
Y = X.sum(axis=1)


def _model():
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(4), layers.Dropout(0.5, seed=1),
                               layers.GaussianNoise(0.1, seed=2), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


class Recorder(lamina.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_begin(self, logs=None):
        state = self.model.training_state
        self.seen.append(("begin", state.epoch, state.step))

    def on_epoch_begin(self, epoch, logs=None):
        state = self.model.training_state
        self.seen.append(("epoch", state.epoch, state.step))

    def on_train_batch_begin(self, batch, logs=None):
        state = self.model.training_state
        self.seen.append(("before", state.epoch, state.step))

    def on_train_batch_end(self, batch, logs=None):
        state = self.model.training_state
        data = state.data_state()
        self.seen.append(("after", state.epoch, state.step, data["position"]))


def test_callbacks_read_epoch_and_step_during_fit():
    model = _model()
    assert model.training_state is None  # before any fit
    recorder = Recorder()
    model.fit(X, Y, batch_size=8, epochs=2, callbacks=[recorder], verbose=0)
    assert recorder.seen == [
        ("begin", 0, 0),
        ("epoch", 0, 0), ("before", 0, 0), ("after", 0, 1, 1), ("before", 0, 1), ("after", 0, 2, 2),
        ("epoch", 1, 0), ("before", 1, 0), ("after", 1, 1, 1), ("before", 1, 1), ("after", 1, 2, 2),
    ]
    state = model.training_state  # the last fit's state stays, without its data
    assert isinstance(state, TrainingState) and (state.epoch, state.step) == (1, 2)
    assert state.data_state() is None


def test_resume_from_moves_the_start_of_fit():
    class SkipFirstEpochs(lamina.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.model.training_state.resume_from(2, 0)

    model = _model()
    history = model.fit(X, Y, batch_size=8, epochs=3, callbacks=[SkipFirstEpochs()], verbose=0)
    assert history.epoch == [2]


def test_rng_state_round_trip_includes_layer_generators():
    model = _model()
    state = TrainingState(model)
    saved = state.get_rng_state()
    assert set(saved["layers"]) == {"1._generator", "2._generator"}

    def draws():
        return (torch.rand(3), np.random.rand(3), random.random(),
                torch.rand(3, generator=model.layers[1]._generator),
                torch.rand(3, generator=model.layers[2]._generator))

    first = draws()
    state.set_rng_state(saved)
    second = draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_rng_state_covers_seed_generators_of_nested_layers():
    class Noisy(layers.Layer):
        def __init__(self):
            super().__init__()
            self.seed_generator = lamina.random.SeedGenerator(9)

        def call(self, x):
            return x + lamina.random.normal(x.shape, seed=self.seed_generator)

    inputs = lamina.Input((3,))
    model = lamina.Model(inputs, Noisy()(layers.Dense(3)(inputs)))
    model.layers[-1].seed_generator.generator("cpu")
    state = TrainingState(model)
    saved = state.get_rng_state()
    (key,) = saved["layers"]
    assert key.endswith(".seed_generator@cpu")
    first = lamina.random.normal((4,), seed=model.layers[-1].seed_generator)
    state.set_rng_state(saved)
    second = lamina.random.normal((4,), seed=model.layers[-1].seed_generator)
    torch.testing.assert_close(first, second, rtol=0, atol=0)

    # A model whose SeedGenerator has not drawn yet (a fresh process) gets its stream created.
    fresh = lamina.Model(inputs, Noisy()(layers.Dense(3)(inputs)))
    fresh_key = key.replace(key.split(".")[0], str(len(fresh.layers) - 1), 1)
    TrainingState(fresh).set_rng_state({**saved, "layers": {fresh_key: saved["layers"][key]}})
    assert torch.equal(fresh.layers[-1].seed_generator.generator("cpu").get_state(),
                       saved["layers"][key])


def test_dynamic_loss_scale_state_round_trip():
    scale = DynamicLossScale(initial_scale=8.0, growth_steps=3)
    assert scale.unscale([torch.ones(1)])
    assert not scale.unscale([torch.tensor([float("inf")])])
    assert scale.unscale([torch.ones(1)])
    state = scale.get_state()
    assert state == {"scale": 4.0, "good_steps": 1}
    assert all(type(v) in (int, float) for v in state.values())
    other = DynamicLossScale(initial_scale=8.0, growth_steps=3)
    other.set_state(state)
    assert (other.scale, other.good_steps) == (4.0, 1)
    for s in (scale, other):  # the same future: one more good step grows nothing, two do
        assert s.unscale([torch.ones(1)]) and s.scale == 4.0
        assert s.unscale([torch.ones(1)]) and s.scale == 8.0 and s.good_steps == 0


def test_loss_scale_state_through_training_state():
    # (float16 layers in a float32 model: fit's own loss scale; a mixed_float16 model's
    # LossScaleOptimizer keeps its scale as optimizer state instead)
    lamina.mixed_precision.set_global_policy("mixed_float16")
    try:
        stack = [lamina.Input((3,)), layers.Dense(4), layers.Dense(1, dtype="float32")]
        lamina.mixed_precision.set_global_policy(None)
        model = lamina.Sequential(stack)
    finally:
        lamina.mixed_precision.set_global_policy(None)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    state = model.training_state
    saved = state.get_loss_scale_state()
    assert saved == model._loss_scale.get_state()
    assert saved != {"scale": 2.0 ** 15, "good_steps": 0}  # two steps changed it
    model._loss_scale.set_state({"scale": 1.0, "good_steps": 0})
    state.set_loss_scale_state(saved)
    assert model._loss_scale.get_state() == saved
    assert TrainingState(_model()).get_loss_scale_state() is None  # float32: no loss scale
