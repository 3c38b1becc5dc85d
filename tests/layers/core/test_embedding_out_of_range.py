"""Ids outside an Embedding's vocabulary: a ValueError naming the layer, the id and input_dim
(torch's own message is `index out of range in self`), in predict and in fit."""

import numpy as np
import pytest

import lamina
from lamina import layers


def _model():
    return lamina.Sequential([lamina.Input((3,), dtype="int32"),
                              layers.Embedding(10, 2, name="words"), layers.Flatten(),
                              layers.Dense(1)])


@pytest.mark.parametrize("ids, bad", [([[1, 2, 12]], 12), ([[0, -1, 3]], -1), ([[10, 9, 9]], 10)])
def test_predict_names_the_layer_the_id_and_input_dim(ids, bad):
    with pytest.raises(ValueError, match=rf'"words" \(Embedding\) received the id {bad}, outside '
                                         r"\[0, input_dim=10\)"):
        _model().predict(np.array(ids), verbose=0)


def test_fit_reports_it_too_and_valid_ids_still_work():
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="vocabulary size"):
        model.fit(np.array([[1, 2, 30]] * 4), np.zeros(4), verbose=0)
    model.fit(np.array([[1, 2, 9]] * 4), np.zeros(4), verbose=0)


def test_symbolic_calls_still_work():
    # The check must not run on the meta device (shape inference of models and custom layers).
    model = lamina.Sequential([lamina.Input((None,), dtype="int64"), layers.Embedding(100, 8)])
    assert model(lamina.Input((10,), dtype="int64")).shape == (None, 10, 8)

    class TokenAndPosition(layers.Layer):
        def __init__(self):
            super().__init__()
            self.token = layers.Embedding(100, 8)

        def call(self, x):
            return self.token(x)

    assert TokenAndPosition()(lamina.Input((5,), dtype="int32")).shape == (None, 5, 8)
