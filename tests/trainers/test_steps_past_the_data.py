"""`steps` larger than the data in evaluate / predict: each sample once, then a warning (as
Keras 3 does: 8 rows, batch 4, steps=5 predict 8 rows), never samples read twice."""

import numpy as np
import pytest

import lamina as keras


def _model():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_predict_and_evaluate_stop_at_the_end_of_the_data():
    model = _model()
    x = np.arange(8, dtype="float32").reshape(8, 1)
    y = 2 * x
    with pytest.warns(UserWarning, match="ran out of data after 2 batches"):
        predictions = model.predict(x, batch_size=4, steps=5, verbose=0)
    np.testing.assert_allclose(predictions, model.predict(x, batch_size=4, verbose=0))
    with pytest.warns(UserWarning, match="ran out of data"):
        loss = model.evaluate(x, y, batch_size=4, steps=5, verbose=0)
    assert loss == pytest.approx(model.evaluate(x, y, batch_size=4, verbose=0))


def test_steps_within_the_data_are_unchanged():
    model = _model()
    x = np.arange(8, dtype="float32").reshape(8, 1)
    assert model.predict(x, batch_size=4, steps=1, verbose=0).shape == (4, 1)
