"""Every layer family runs forward and backward under torch.autocast without dtype errors.

CPU bfloat16 autocast stands in for CUDA float16 here (CI has no GPU): the same dtype mixing
(low-precision activations, float32 weights) happens in both.
"""

import pytest
import torch

import lamina
from lamina import layers

CASES = [
    ("dense", (6,), lambda: [layers.Dense(4, activation="relu"), layers.Dense(2)]),
    ("conv", (8, 8, 3), lambda: [layers.Conv2D(4, 3, padding="same"), layers.BatchNormalization(),
                                 layers.MaxPooling2D(), layers.Conv2DTranspose(2, 3, strides=2),
                                 layers.SeparableConv2D(3, 3), layers.GlobalAveragePooling2D()]),
    ("conv1d", (10, 3), lambda: [layers.Conv1D(4, 3, padding="causal"), layers.DepthwiseConv1D(3),
                                 layers.AveragePooling1D(2), layers.LayerNormalization(),
                                 layers.GlobalMaxPooling1D()]),
    ("recurrent", (5, 3), lambda: [layers.LSTM(4, return_sequences=True),
                                   layers.Bidirectional(layers.GRU(3, return_sequences=True)),
                                   layers.SimpleRNN(2)]),
    ("attention", (5, 6), lambda: [layers.MultiHeadAttention(2, 3)]),
    ("norm_and_reshape", (4, 6), lambda: [layers.GroupNormalization(groups=2), layers.Permute((2, 1)),
                                          layers.UpSampling1D(2), layers.Flatten(),
                                          layers.Dropout(0.5), layers.PReLU(), layers.Dense(1)]),
]


@pytest.mark.parametrize("name, shape, make", CASES, ids=[c[0] for c in CASES])
def test_layers_under_autocast(name, shape, make):
    inputs = lamina.Input(shape=shape)
    x = inputs
    for layer in make():
        x = layer(x, x) if isinstance(layer, layers.MultiHeadAttention) else layer(x)
    model = lamina.Model(inputs, x)
    data = torch.randn(4, *shape)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(data, training=True)
        loss = out.float().square().mean()
    loss.backward()
    assert torch.isfinite(loss)
    assert all(w.grad is not None for w in model.trainable_weights)
    assert all(w.dtype == torch.float32 for w in model.weights)  # weights stay float32
