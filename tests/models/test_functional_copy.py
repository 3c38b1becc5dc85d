"""A functional model survives copy.deepcopy and pickle: the copy computes what the original
does, with its own weights (the execution plan holds slot numbers, never object ids)."""

import copy
import pickle

import numpy as np

import lamina as keras
from lamina import layers


def _model():
    keras.utils.set_random_seed(0)
    tokens = keras.Input((5,), dtype="int32")
    x = layers.Embedding(10, 4)(tokens)
    x = layers.Add()([x, layers.MultiHeadAttention(2, 2)(x, x)])  # layers with several inputs
    outputs = layers.Dense(1)(layers.GlobalAveragePooling1D()(x))
    return keras.Model(tokens, outputs)


def test_deepcopy_predicts_the_same_and_owns_its_weights():
    model = _model()
    x = np.arange(10).reshape(2, 5) % 10
    copied = copy.deepcopy(model)
    np.testing.assert_allclose(copied.predict(x, verbose=0), model.predict(x, verbose=0))
    copied.layers[-1].set_weights([w + 1 for w in copied.layers[-1].get_weights()])
    assert not np.allclose(copied.predict(x, verbose=0), model.predict(x, verbose=0))


def test_pickle_round_trip_predicts_the_same():
    model = _model()
    x = np.arange(10).reshape(2, 5) % 10
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))
