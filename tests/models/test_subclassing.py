import numpy as np
import pytest
import torch

import lamina
from lamina import layers


class MLP(lamina.Model):
    def __init__(self, hidden=16, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(hidden, activation="relu")
        self.dropout = layers.Dropout(0.5)
        self.out = layers.Dense(1, activation="sigmoid")

    def call(self, inputs, training=False):
        return self.out(self.dropout(self.hidden(inputs), training=training))


def test_subclassed_model_builds_on_first_call_and_tracks_layers():
    model = MLP()
    assert model.weights == []
    out = model(np.ones((3, 5), dtype="float32"))
    assert out.shape == (3, 1)
    assert [layer.name for layer in model.layers] == ["dense", "dropout", "dense_1"]
    assert [tuple(w.shape) for w in model.weights] == [(5, 16), (16,), (16, 1), (1,)]


def test_subclassed_model_trains():
    lamina.utils.set_random_seed(1)
    x = np.random.rand(64, 5).astype("float32")
    y = (x.sum(axis=1) > 2.5).astype("float32")
    model = MLP()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert list(history.history) == ["accuracy", "loss"]  # sorted, as Keras logs
    assert len(history.history["loss"]) == 3


def test_layers_kept_in_a_list_are_tracked():
    class Stack(lamina.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [layers.Dense(4), layers.Dense(2)]

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    model = Stack()
    model(torch.ones(1, 3))
    assert len(model.weights) == 4 and len(list(model.parameters())) == 4


def test_add_loss_in_call_is_added_to_the_training_loss():
    class Penalized(layers.Layer):
        def call(self, x):
            self.add_loss(100.0 * lamina.ops.sum(x) * 0 + 1.0)
            return x

    inputs = lamina.Input(shape=(2,))
    outputs = layers.Dense(1, kernel_initializer="zeros")(Penalized()(inputs))
    model = lamina.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    loss = model.evaluate(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0)
    assert loss == pytest.approx(1.0)


def test_torch_module_inside_a_layer_is_trained():
    class TorchInside(lamina.Model):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 1)

        def call(self, x):
            return self.linear(x)

    model = TorchInside()
    model(torch.ones(1, 3))
    assert len(model.trainable_weights) == 2
    model.compile(optimizer="sgd", loss="mse")
    before = model.linear.weight.detach().clone()
    model.fit(np.ones((8, 3)), np.zeros((8, 1)), epochs=1, verbose=0)
    assert not torch.equal(before, model.linear.weight.detach())
