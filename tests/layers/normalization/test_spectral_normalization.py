"""SpectralNormalization: weights as Keras lays them out, the power iteration, config, symbolic."""

import numpy as np
import pytest
import torch

import lamina
from lamina import layers

X = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 1.0]], "float32")
KERNEL = np.array([[1.0, 2.0], [-1.0, 0.5], [3.0, 1.0]], "float32")
VECTOR_U = np.array([[0.3, -0.2]], "float32")
BIAS = np.array([0.1, -0.1], "float32")


def _wrapped(power_iterations=2):
    layer = layers.SpectralNormalization(layers.Dense(2), power_iterations=power_iterations)
    layer.build(X.shape)
    layer.set_weights([KERNEL, VECTOR_U, BIAS])
    return layer


def test_weights_in_keras_order():
    layer = layers.SpectralNormalization(layers.Dense(4))
    layer(lamina.Input((8,)))
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [
        ("kernel", (8, 4)), ("vector_u", (1, 4)), ("bias", (4,))]
    assert [w.name for w in layer.trainable_weights] == ["kernel", "bias"]
    assert [w.name for w in layer.non_trainable_weights] == ["vector_u"]
    assert layer.count_params() == 40
    conv = layers.SpectralNormalization(layers.Conv2D(2, 3))
    conv.build((None, 5, 5, 3))
    assert [(w.name, tuple(w.shape)) for w in conv.weights] == [
        ("kernel", (3, 3, 3, 2)), ("vector_u", (1, 2)), ("bias", (2,))]
    embedding = layers.SpectralNormalization(layers.Embedding(10, 3))
    embedding.build((None, 5))
    assert [(w.name, tuple(w.shape)) for w in embedding.weights] == [
        ("embeddings", (10, 3)), ("vector_u", (1, 3))]


def test_inference_leaves_weights_alone():
    layer = _wrapped()
    np.testing.assert_allclose(layer(X).detach().numpy(), X @ KERNEL + BIAS, rtol=1e-6)
    np.testing.assert_allclose(layer.get_weights()[1], VECTOR_U)


def test_training_call_matches_keras():
    layer = _wrapped(power_iterations=2)
    out = layer(torch.tensor(X), training=True).detach().numpy()
    # Reference values from Keras 3.15.1 (JAX backend).
    np.testing.assert_allclose(out, [[-1.003895, 0.451947], [1.065908, 0.451947]], rtol=1e-5)
    kernel, vector_u, bias = layer.get_weights()
    np.testing.assert_allclose(kernel, [[0.275974, 0.551947], [-0.275974, 0.137987],
                                        [0.827921, 0.275974]], rtol=1e-5)
    np.testing.assert_allclose(vector_u, [[0.913302, 0.407283]], rtol=1e-5)
    np.testing.assert_allclose(bias, BIAS)


def test_power_iteration_converges_to_the_spectral_norm():
    layer = _wrapped(power_iterations=50)
    layer(X, training=True)
    kernel = layer.get_weights()[0]
    np.testing.assert_allclose(np.linalg.norm(kernel, 2), 1.0, rtol=1e-5)


def test_zero_kernel_is_left_alone_and_training_in_fit():
    layer = layers.SpectralNormalization(layers.Dense(2, kernel_initializer="zeros"))
    layer(X, training=True)
    assert not layer.get_weights()[0].any()

    model = lamina.Sequential([lamina.Input((3,)), layers.SpectralNormalization(layers.Dense(2))])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.random.rand(8, 3), np.random.rand(8, 2), epochs=1, verbose=0)


def test_config_round_trip_and_symbolic_call():
    layer = layers.SpectralNormalization(layers.Dense(4), power_iterations=3)
    inputs = lamina.Input((8,))
    assert layer(inputs).shape == (None, 4)
    config = layer.get_config()
    assert config["power_iterations"] == 3
    assert config["layer"]["class_name"] == "Dense"
    assert config["layer"]["build_config"] == {"input_shape": [None, 8]}
    clone = layers.SpectralNormalization.from_config(config)
    assert type(clone.layer) is layers.Dense and clone.power_iterations == 3
    restored = lamina.layers.deserialize(lamina.layers.serialize(layer))
    restored(lamina.Input((8,)))
    assert [w.name for w in restored.weights] == ["kernel", "vector_u", "bias"]

    conv = layers.SpectralNormalization(layers.Conv2D(2, 2))
    assert conv(lamina.Input((10, 10, 1))).shape == (None, 9, 9, 2)


def test_errors():
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="nor 'embeddings'"):
        layers.SpectralNormalization(layers.Flatten()).build((None, 3))
    with pytest.raises(ValueError):
        layers.SpectralNormalization("dense")
