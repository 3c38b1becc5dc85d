"""A torch tensor used beside symbolic inputs (`ops.add(x, torch.ones(3))`, as
applications' preprocessing does) is a constant of the graph: shape inference runs it on the
meta device like the symbols, and the model adds the real values."""

import numpy as np
import torch

import lamina
from lamina import layers, ops


def test_torch_constant_beside_a_symbolic_input():
    inputs = layers.Input((4, 4, 3))
    outputs = ops.multiply(ops.add(inputs, torch.tensor([1.0, 2.0, 3.0])), torch.full((3,), 2.0))
    assert outputs.shape == (None, 4, 4, 3)
    model = lamina.Model(inputs, outputs)
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), (x + [1.0, 2.0, 3.0]) * 2.0,
                               rtol=1e-6)
