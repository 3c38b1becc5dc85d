import numpy as np
import pytest

import lamina
from lamina import layers


def test_keras2_recurrent_module_and_cudnn_names():
    with pytest.warns(DeprecationWarning, match="lamina.layers.LSTM"):
        from lamina.layers.recurrent import LSTM
    assert LSTM is layers.LSTM
    with pytest.warns(DeprecationWarning, match="CuDNNLSTM"):
        lstm = layers.CuDNNLSTM(4)
    assert isinstance(lstm, layers.LSTM)


def test_model_reset_states_clears_stateful_layers():
    model = lamina.Sequential([lamina.Input(batch_shape=(2, 3, 1)),
                               layers.SimpleRNN(2, stateful=True)])
    x = np.ones((2, 3, 1), "float32")
    first = model.predict_on_batch(x)
    assert not np.allclose(model.predict_on_batch(x), first)  # state carried over
    model.reset_states()
    np.testing.assert_allclose(model.predict_on_batch(x), first, rtol=1e-6)
