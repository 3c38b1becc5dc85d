"""EinsumDense: weight shapes for every equation form, numerics, config round trip, symbolic."""

import numpy as np
import pytest
import torch

import lamina
from lamina import layers

# (equation, output_shape, bias_axes, input shape without batch) -> (kernel, bias, output) shapes;
# the shapes are those Keras 3.15.1 creates.
CASES = [
    ("ab,bc->ac", 4, "c", (3,), (3, 4), (4,), (None, 4)),
    ("...b,bc->...c", 5, "c", (2, 3), (3, 5), (5,), (None, 2, 5)),
    ("abc,cd->abd", (None, 4), "d", (2, 3), (3, 4), (4,), (None, None, 4)),
    ("abc,cde->abde", (2, 4, 5), "be", (2, 6), (6, 4, 5), (2, 1, 5), (None, 2, 4, 5)),
    ("ab...,bc->ac...", (4,), "c", (3, 2, 2), (3, 4), (4, 1, 1), (None, 4, 2, 2)),
    ("abc,cd->abd", (2, 4), None, (2, 3), (3, 4), None, (None, 2, 4)),
]


@pytest.mark.parametrize("equation,output_shape,bias_axes,shape,kernel,bias,out", CASES)
def test_weights_and_shapes(equation, output_shape, bias_axes, shape, kernel, bias, out):
    layer = layers.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes)
    assert layer(lamina.Input(shape)).shape == out
    expected = [("kernel", kernel)] + ([("bias", bias)] if bias else [])
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == expected
    x = np.random.default_rng(0).standard_normal((2, *shape)).astype("float32")
    result = layer(torch.tensor(x)).detach().numpy()
    reference = np.einsum(equation, x, layer.kernel.detach().numpy())
    if bias:
        reference = reference + layer.bias.detach().numpy()
    np.testing.assert_allclose(result, reference, rtol=1e-5, atol=1e-6)


def test_keras_reference_values():
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(2, 2, 3), bias_axes="be",
                               activation="relu")
    x = np.array([[[1.0, -2.0, 0.5], [0.0, 1.0, 2.0]]], "float32")
    layer.build(x.shape)
    kernel = (np.arange(18, dtype="float32").reshape(3, 2, 3) - 8) / 10
    bias = np.array([[[0.1, -0.2, 0.3]], [[0.0, 0.5, -0.5]]], "float32")
    layer.set_weights([kernel, bias])
    # Reference values from Keras 3.15.1 (JAX backend).
    expected = [[[[0, 0, 0], [0, 0, 0]], [[0.6, 1.4, 0.7], [1.5, 2.3, 1.6]]]]
    np.testing.assert_allclose(layer(torch.tensor(x)).detach().numpy(), expected, atol=1e-6)


def test_config_round_trip_and_keras_keys():
    layer = layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c", activation="tanh",
                               kernel_initializer="he_normal", kernel_regularizer="l2")
    config = layer.get_config()
    assert config["output_shape"] == (4,) and config["equation"] == "ab,bc->ac"
    assert config["bias_axes"] == "c" and config["activation"] == "tanh"
    assert {"activity_regularizer", "quantization_config", "kernel_constraint"} <= set(config)
    clone = layers.EinsumDense.from_config(config)
    assert clone.get_config() == config
    restored = lamina.layers.deserialize(lamina.layers.serialize(layer))
    assert type(restored) is layers.EinsumDense and restored.partial_output_shape == (4,)
    clone(lamina.Input((3,)))
    assert len(clone.losses) == 1  # the kernel regularizer


def test_kernel_initializer_fans_follow_the_equation():
    # Glorot over the input axes (c: 6) and the output axes (d, e: 4 * 5) of the kernel.
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(2, 4, 5),
                               kernel_initializer="glorot_uniform")
    layer.build((None, 2, 6))
    limit = np.sqrt(6.0 / (6 + 20))
    largest = float(layer.kernel.detach().abs().max())
    assert 0.8 * limit < largest <= limit


@pytest.mark.parametrize("equation,output_shape,message", [
    ("ab->b", 3, "Invalid einsum equation"),
    ("ab,bc->ad", 3, "neither"),
    ("ab,bcd->ac", 3, "neither"),
])
def test_errors(equation, output_shape, message):
    with pytest.raises(ValueError, match=message):
        layers.EinsumDense(equation, output_shape=output_shape).build((None, 3))
