"""ReversibleEmbedding: lookup, tied and untied reverse projection, soft cap, config, symbolic."""

import numpy as np
import pytest
import torch

import lamina
from lamina import layers

EMBEDDINGS = (np.arange(15, dtype="float32").reshape(5, 3) - 7) / 5
REVERSE = (np.arange(15, dtype="float32").reshape(3, 5)[::-1] - 6) / 4
IDS = np.array([[1, 4], [0, 2]])


def test_tied_reverse_is_hidden_times_embeddings_transposed():
    layer = layers.ReversibleEmbedding(5, 3)
    layer.build((None, 2))
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [("embeddings", (5, 3))]
    layer.set_weights([EMBEDDINGS])
    hidden = layer(torch.tensor(IDS))
    logits = layer(hidden, reverse=True).detach().numpy()
    # Reference values from Keras 3.15.1 (JAX backend).
    expected = [[[2.24, 1.16, 0.08, -1.0, -2.08], [-4.24, -2.08, 0.08, 2.24, 4.4]],
                [[4.4, 2.24, 0.08, -2.08, -4.24], [0.08, 0.08, 0.08, 0.08, 0.08]]]
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)


def test_untied_with_soft_cap():
    layer = layers.ReversibleEmbedding(5, 3, tie_weights=False, logit_soft_cap=2.0)
    layer.build((None, 2))
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [
        ("embeddings", (5, 3)), ("reverse_embeddings", (3, 5))]
    layer.set_weights([EMBEDDINGS, REVERSE])
    hidden = layer(torch.tensor(IDS))
    np.testing.assert_allclose(hidden.detach().numpy(), EMBEDDINGS[IDS])
    logits = layer(hidden, reverse=True).detach().numpy()
    # Reference values from Keras 3.15.1 (JAX backend).
    expected = [[[-0.04999, -0.489837, -0.884461, -1.208736, -1.456509],
                 [-1.208736, -0.489837, 0.394751, 1.14334, 1.600998]],
                [[0.394751, -0.489837, -1.208735, -1.635508, -1.843337],
                 [-0.489837, -0.489837, -0.489837, -0.489837, -0.489837]]]
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(logits, 2.0 * np.tanh(EMBEDDINGS[IDS] @ REVERSE / 2.0), rtol=1e-5)


def test_reverse_dtype_and_mask():
    layer = layers.ReversibleEmbedding(5, 3, mask_zero=True, reverse_dtype="float64")
    hidden = layer(torch.tensor(IDS))
    assert hidden._keras_mask.tolist() == [[True, True], [False, True]]
    logits = layer(hidden, reverse=True)
    assert logits.dtype == torch.float64 and getattr(logits, "_keras_mask", None) is None


def test_symbolic_calls_and_config_round_trip():
    layer = layers.ReversibleEmbedding(10, 4, tie_weights=False, logit_soft_cap=30.0)
    ids = lamina.Input((6,), dtype="int32")
    hidden = layer(ids)
    logits = layer(hidden, reverse=True)
    assert hidden.shape == (None, 6, 4) and logits.shape == (None, 6, 10)
    model = lamina.Model(ids, logits)
    assert model(np.zeros((2, 6), "int32")).shape == (2, 6, 10)
    config = layer.get_config()
    assert config["tie_weights"] is False and config["logit_soft_cap"] == 30.0
    assert config["reverse_dtype"] is None and config["input_dim"] == 10
    clone = layers.ReversibleEmbedding.from_config(config)
    assert clone.get_config() == config
    restored = lamina.layers.deserialize(lamina.layers.serialize(layer))
    assert type(restored) is layers.ReversibleEmbedding and restored.tie_weights is False


def test_gradients_reach_the_tied_table_from_both_directions():
    layer = layers.ReversibleEmbedding(5, 3)
    logits = layer(layer(torch.tensor(IDS)), reverse=True)
    logits.sum().backward()
    assert float(layer.embeddings.grad.abs().sum()) > 0


@pytest.mark.parametrize("kwargs", [{"input_dim": 0, "output_dim": 3}])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        layers.ReversibleEmbedding(**kwargs)
