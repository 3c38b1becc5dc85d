"""Nested layers carry their build_config, as Keras 3 writes them (found by the conformance
harness's config comparison for Bidirectional, RNN, StackedRNNCells and TimeDistributed)."""

import numpy as np

import lamina as keras
from lamina import layers
from lamina.saving import deserialize_keras_object, serialize_keras_object


def test_wrappers_write_the_build_config_of_the_layers_they_hold():
    wrapper = layers.Bidirectional(layers.LSTM(3))
    wrapper(keras.Input((5, 4)))
    config = wrapper.get_config()
    assert config["layer"]["build_config"] == {"input_shape": [None, 5, 4]}
    assert config["backward_layer"]["build_config"] == {"input_shape": [None, 5, 4]}
    rnn = layers.RNN(layers.StackedRNNCells([layers.GRUCell(2), layers.GRUCell(3)]))
    rnn(keras.Input((5, 4)))
    cells = rnn.get_config()["cell"]["config"]["cells"]
    assert [cell["build_config"]["input_shape"][-1] for cell in cells] == [4, 2]


def test_a_nested_build_config_builds_the_layer_when_read_back():
    distributed = layers.TimeDistributed(layers.Dense(2))
    distributed(keras.Input((3, 4)))
    rebuilt = deserialize_keras_object(serialize_keras_object(distributed))
    assert rebuilt.layer.built and tuple(rebuilt.layer.kernel.shape) == (4, 2)
    rebuilt.set_weights(distributed.get_weights())
    x = np.random.RandomState(0).rand(2, 3, 4).astype("float32")
    np.testing.assert_allclose(rebuilt(x).detach().numpy(), distributed(x).detach().numpy())
