"""`layer.build(shape)` called by a program marks the layer built, as in Keras 3: the next call
uses the weights it made (a program's `set_weights` after `build` holds)."""

import numpy as np
import torch

import lamina as keras
from lamina import layers


class Projection(layers.Layer):
    def build(self, input_shape):  # (does not set self.built, as many user layers don't)
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

    def call(self, x):
        return x @ self.kernel


def test_direct_build_then_set_weights_then_call():
    layer = Projection(name="projection")
    layer.build((None, 3))
    assert layer.built and [w.path for w in layer.weights] == ["projection/kernel"]
    layer.set_weights([np.arange(6, dtype="float32").reshape(3, 2)])
    out = layer(torch.ones(1, 3))
    assert len(layer.weights) == 1  # not built a second time
    np.testing.assert_array_equal(out.detach().numpy(), [[6.0, 9.0]])


def test_direct_build_of_a_layer_with_several_input_shapes():
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    attention.build((None, 5, 8), (None, 6, 8))
    assert attention.built
    before = [w.detach().clone() for w in attention.weights]
    query, value = torch.randn(2, 5, 8), torch.randn(2, 6, 8)
    assert tuple(attention(query, value).shape) == (2, 5, 8)
    after = attention.weights
    assert len(after) == len(before) and all(torch.equal(a, b) for a, b in zip(before, after))


def test_super_build_chain_builds_once():
    class Scaled(Projection):
        def build(self, input_shape):
            super().build(input_shape)
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

        def call(self, x):
            return super().call(x) * self.scale

    layer = Scaled(name="scaled")
    layer.build((None, 3))
    assert [w.path for w in layer.weights] == ["scaled/kernel", "scaled/scale"]
    layer(torch.ones(2, 3))
    assert len(layer.weights) == 2
