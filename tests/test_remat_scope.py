"""`RematScope`: layers created inside recompute their forward pass (or their activation) in
the backward pass, as Keras's modes choose them; gradients are unchanged."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import layers


class Counting(layers.Layer):
    """Dense-like layer that counts how often its call runs."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.calls = 0

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, x):
        self.calls += 1
        return self.activation(x @ self.kernel)


def _forward_backward(layer, x):
    with torch.no_grad():
        layer(x)  # (builds the layer; "larger_than" measures its output once per input shape)
    layer.calls = 0
    out = layer(x)
    out.sum().backward()
    return layer.calls


def test_full_mode_recomputes_and_keeps_the_gradients():
    x = torch.randn(4, 3, requires_grad=True)
    plain = Counting(5, activation="relu")
    plain.build((None, 3))
    with keras.RematScope(mode="full"):
        remat = Counting(5, activation="relu")
    remat.build((None, 3))
    remat.kernel.assign(plain.kernel.detach())
    assert _forward_backward(plain, x) == 1
    plain_grad = x.grad.clone()
    x.grad = None
    assert _forward_backward(remat, x) == 2  # forward, then again in the backward pass
    torch.testing.assert_close(x.grad, plain_grad)
    torch.testing.assert_close(remat.kernel.grad, plain.kernel.grad)
    with torch.no_grad():  # nothing to recompute without autograd
        remat.calls = 0
        remat(x)
        assert remat.calls == 1


def test_modes_choose_their_layers():
    x = torch.randn(2, 3, requires_grad=True)
    with keras.RematScope(mode="list_of_layers", layer_names=["chosen"]):
        chosen, other = Counting(4, name="chosen"), Counting(4, name="other")
    with keras.RematScope(mode="larger_than", output_size_threshold=10):
        small, large = Counting(4), Counting(8)  # outputs of 2x4 = 8 and 2x8 = 16 elements
    with keras.RematScope(mode="full"):
        with keras.RematScope(mode=None):  # an inner scope turns it off
            off = Counting(4)
    calls = [_forward_backward(layer, x) for layer in (chosen, other, small, large, off)]
    assert calls == [2, 1, 1, 2, 1]


def test_activations_mode_recomputes_only_the_activation():
    calls = []

    def traced_tanh(x):
        calls.append(1)
        return torch.tanh(x)

    with keras.RematScope(mode="activations"):
        layer = layers.Dense(3, activation=traced_tanh)
        no_activation = Counting(3)
    x = torch.randn(2, 4, requires_grad=True)
    layer(x).sum().backward()
    assert len(calls) == 2  # the activation ran again in the backward pass; the matmul did not
    assert _forward_backward(no_activation, x) == 1


def test_fit_in_a_remat_scope_matches_fit_without():
    def train(scope):
        keras.utils.set_random_seed(0)
        with keras.RematScope(mode=scope):
            model = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"),
                                      layers.Dense(1)])
        model.compile("sgd", "mse")
        rng = np.random.default_rng(0)
        model.fit(rng.normal(size=(32, 6)), rng.normal(size=(32, 1)), epochs=2, verbose=0)
        return model.get_weights()

    for a, b in zip(train(None), train("full")):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_bad_mode():
    with pytest.raises(ValueError, match="Invalid mode 'everything'"):
        keras.RematScope(mode="everything")
