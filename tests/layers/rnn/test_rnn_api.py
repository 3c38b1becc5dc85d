"""Shapes, weights, configs, errors and Keras 1/2 spellings of the recurrent layers."""

import json

import numpy as np
import pytest
import torch

import lamina
from lamina.layers import rnn

X = torch.randn(2, 5, 3)


# ---------------------------------------------------------------------- shapes
@pytest.mark.parametrize("cls", [rnn.SimpleRNN, rnn.LSTM, rnn.GRU])
@pytest.mark.parametrize("shape", [(None, 3), (7, 3), (1, 6)])
def test_symbolic_and_eager_shapes_agree(cls, shape):
    states = 2 if cls is rnn.LSTM else 1
    symbolic = cls(4, return_sequences=True, return_state=True)(lamina.Input(shape=shape))
    assert [t.shape for t in symbolic] == [(None, shape[0], 4)] + [(None, 4)] * states
    eager = cls(4, return_sequences=True, return_state=True)(torch.randn(2, shape[0] or 9,
                                                                         shape[1]))
    assert [tuple(t.shape) for t in eager] == [(2, shape[0] or 9, 4)] + [(2, 4)] * states
    assert cls(4)(lamina.Input(shape=shape)).shape == (None, 4)


def test_wrapper_symbolic_shapes():
    x = lamina.Input(shape=(5, 3))
    assert rnn.Bidirectional(rnn.LSTM(4))(x).shape == (None, 8)
    assert rnn.Bidirectional(rnn.LSTM(4, return_sequences=True), merge_mode="sum")(x).shape == \
        (None, 5, 4)
    pair = rnn.Bidirectional(rnn.GRU(4), merge_mode=None)(x)
    assert [t.shape for t in pair] == [(None, 4), (None, 4)]
    with_states = rnn.Bidirectional(rnn.LSTM(4, return_state=True))(x)
    assert [t.shape for t in with_states] == [(None, 8)] + [(None, 4)] * 4
    assert rnn.TimeDistributed(lamina.layers.Dense(2))(x).shape == (None, 5, 2)
    stacked = rnn.RNN([rnn.LSTMCell(4), rnn.GRUCell(2)], return_state=True)(x)
    assert stacked[0].shape == (None, 2)
    assert [t.shape for t in stacked[1]] == [(None, 4), (None, 4)] and stacked[2].shape == (None, 2)


def test_layers_train_inside_a_sequential_model():
    model = lamina.Sequential([
        lamina.Input(shape=(5, 3)),
        rnn.Bidirectional(rnn.LSTM(4, return_sequences=True)),
        rnn.TimeDistributed(lamina.layers.Dense(2)),
        rnn.GRU(3),
        lamina.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.random.rand(16, 5, 3).astype("float32"), np.random.rand(16, 1).astype("float32")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# ---------------------------------------------------------------------- weights
def test_weights_live_in_the_cell_in_keras_order_and_layout():
    lstm = rnn.LSTM(4)
    lstm(X)
    prefix = lstm.name + "/lstm_cell/"  # as Keras: lstm/lstm_cell/kernel
    assert [w.path for w in lstm.weights] == [prefix + "kernel", prefix + "recurrent_kernel",
                                             prefix + "bias"]
    assert [tuple(w.shape) for w in lstm.weights] == [(3, 16), (4, 16), (16,)]
    assert lstm.cell.kernel is lstm.weights[0]
    gru, old_gru = rnn.GRU(4), rnn.GRU(4, reset_after=False)
    gru(X)
    old_gru(X)
    assert tuple(gru.cell.bias.shape) == (2, 12) and tuple(old_gru.cell.bias.shape) == (12,)
    bidirectional = rnn.Bidirectional(rnn.SimpleRNN(2))
    bidirectional(X)
    outer = bidirectional.name
    assert [w.path for w in bidirectional.weights][::3] == [  # Keras 3.15's paths
        f"{outer}/forward_simple_rnn/simple_rnn_cell/kernel",
        f"{outer}/backward_simple_rnn/simple_rnn_cell/kernel"]
    assert bidirectional.forward_layer.name == "forward_simple_rnn"
    assert bidirectional.backward_layer.name == "backward_simple_rnn"


def test_lstm_initialization_follows_keras():
    lstm = rnn.LSTM(4)
    lstm(X)
    bias = lstm.cell.bias.detach()
    # unit_forget_bias: ones for the forget gate, zeros elsewhere
    torch.testing.assert_close(bias, torch.cat([torch.zeros(4), torch.ones(4), torch.zeros(8)]))
    recurrent = lstm.cell.recurrent_kernel.detach()  # orthogonal (4, 16): orthonormal rows
    torch.testing.assert_close(recurrent @ recurrent.T, torch.eye(4), atol=1e-5, rtol=0)
    no_forget = rnn.LSTM(4, unit_forget_bias=False)
    no_forget(X)
    assert float(no_forget.cell.bias.detach().abs().sum()) == 0


def test_set_weights_with_keras_arrays_and_regularizer_losses():
    layer = rnn.GRU(2, kernel_regularizer=lamina.regularizers.L2(0.1),
                    recurrent_constraint=lamina.constraints.NonNeg())
    layer(X)
    arrays = [np.full(w.shape, 0.5, dtype="float32") for w in layer.get_weights()]
    layer.set_weights(arrays)
    (loss,) = layer.losses
    assert float(loss.detach()) == pytest.approx(0.1 * 0.25 * 3 * 6)
    assert layer.cell.recurrent_kernel.constraint is not None
    with pytest.raises(ValueError, match="expects 3 weight arrays"):
        layer.set_weights(arrays[:2])


def test_layer_attributes_read_through_to_the_cell():
    layer = rnn.LSTM(5, dropout=0.25, recurrent_activation="hard_sigmoid")
    assert (layer.units, layer.dropout, layer.unit_forget_bias) == (5, 0.25, True)
    assert layer.recurrent_activation is lamina.activations.hard_sigmoid
    assert rnn.GRU(2).reset_after is True


# ---------------------------------------------------------------------- configs
@pytest.mark.parametrize("build", [
    lambda: rnn.SimpleRNN(3, activation="relu", return_sequences=True, dropout=0.1),
    lambda: rnn.LSTM(3, unit_forget_bias=False, go_backwards=True, stateful=True,
                     kernel_regularizer="l2", bias_constraint="non_neg"),
    lambda: rnn.GRU(3, reset_after=False, return_state=True, unroll=True, seed=4),
    lambda: rnn.RNN([rnn.LSTMCell(3), rnn.GRUCell(2)], return_sequences=True),
    lambda: rnn.RNN(rnn.SimpleRNNCell(3), zero_output_for_mask=True),
    lambda: rnn.Bidirectional(rnn.LSTM(3, return_sequences=True), merge_mode="ave"),
    lambda: rnn.Bidirectional(rnn.LSTM(3), backward_layer=rnn.GRU(3, go_backwards=True)),
    lambda: rnn.TimeDistributed(lamina.layers.Dense(2, activation="relu")),
    lambda: rnn.StackedRNNCells([rnn.LSTMCell(2), rnn.LSTMCell(3)]),
    lambda: rnn.LSTMCell(3, recurrent_dropout=0.2),
])
def test_config_round_trip(build):
    layer = build()
    config = layer.get_config()
    json.dumps(config)  # JSON-able
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


def test_config_keys_match_keras():
    config = rnn.LSTM(3).get_config()
    assert "cell" not in config
    assert {"units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
            "return_sequences", "return_state", "go_backwards", "stateful", "unroll",
            "zero_output_for_mask", "dropout", "recurrent_dropout", "seed",
            "recurrent_initializer"} <= set(config)
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert rnn.GRU(3).get_config()["reset_after"] is True


def test_loads_a_keras_written_bidirectional_config():
    keras_config = {
        "name": "bidirectional", "trainable": True,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                  "registered_name": None},
        "merge_mode": "concat",
        "layer": {"module": "keras.layers", "class_name": "LSTM", "config": {
            "name": "forward_lstm", "units": 3, "return_sequences": False,
            "go_backwards": False, "use_cudnn": "auto",
        }, "registered_name": None, "build_config": {"input_shape": [1, 4, 5]}},
    }
    layer = rnn.Bidirectional.from_config(keras_config)
    assert tuple(layer(torch.randn(1, 4, 5)).shape) == (1, 6)


# ---------------------------------------------------------------------- custom cells
class MinimalRNNCell(lamina.layers.Layer):
    """The custom cell of the Keras RNN guide, unchanged."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="uniform", name="recurrent_kernel")

    def call(self, inputs, states):
        prev_output = states[0]
        h = lamina.ops.matmul(inputs, self.kernel)
        output = h + lamina.ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]


def test_user_defined_cell_runs_step_by_step():
    layer = rnn.RNN(MinimalRNNCell(4), return_sequences=True)
    outputs = layer(X)
    cell = layer.cell
    h = torch.zeros(2, 4)
    for t in range(5):
        h = X[:, t] @ cell.kernel + h @ cell.recurrent_kernel
        torch.testing.assert_close(outputs[:, t], h)
    stacked = rnn.RNN([MinimalRNNCell(4), MinimalRNNCell(2)])(lamina.Input(shape=(None, 3)))
    assert stacked.shape == (None, 2)


def test_cell_called_directly_is_one_step():
    cell = rnn.LSTMCell(4)
    h, c = torch.zeros(2, 4), torch.zeros(2, 4)
    output, (h1, c1) = cell(X[:, 0], [h, c])
    torch.testing.assert_close(output, h1)
    sequence = rnn.RNN(cell, return_sequences=True)(X[:, :1])
    torch.testing.assert_close(sequence[:, 0], h1)


# ---------------------------------------------------------------------- errors
def test_bad_arguments_and_inputs_have_clear_errors():
    with pytest.raises(ValueError, match="positive integer. Received: units=0"):
        rnn.LSTM(0)
    with pytest.raises(ValueError, match=r"expects sequences of shape \(batch, timesteps, fea"):
        rnn.GRU(3)(torch.randn(2, 3))
    built = rnn.GRU(3)
    built(X)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        built(torch.randn(2, 3))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        built(torch.randn(2, 5, 4))
    with pytest.raises(TypeError, match="Did you mean 'return_sequences'"):
        rnn.LSTM(3, return_sequence=True)
    with pytest.raises(ValueError, match="needs a cell"):
        rnn.RNN(object())
    with pytest.raises(ValueError, match="Invalid merge_mode 'max'"):
        rnn.Bidirectional(rnn.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="wraps a recurrent layer"):
        rnn.Bidirectional(lamina.layers.Dense(3))
    with pytest.raises(ValueError, match="opposite directions"):
        rnn.Bidirectional(rnn.LSTM(3), backward_layer=rnn.LSTM(3))
    with pytest.raises(ValueError, match="has 2 state tensor"):
        rnn.LSTM(3)(X, initial_state=[torch.zeros(2, 3)])
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        rnn.TimeDistributed(lamina.layers.Dense(2))(torch.randn(2, 3))
    with pytest.raises(ValueError, match="wraps a lamina layer"):
        rnn.TimeDistributed(torch.nn.Linear(2, 2))


def test_keras_1_and_2_spellings_are_accepted_with_a_warning():
    with pytest.warns(DeprecationWarning, match="use `units`"):
        layer = rnn.LSTM(output_dim=4, return_sequences=True)
    assert layer.units == 4
    with pytest.warns(DeprecationWarning, match="recurrent_dropout"):
        assert rnn.GRU(2, dropout_U=0.3).recurrent_dropout == 0.3
    with pytest.warns(DeprecationWarning, match="input_shape=\\(timesteps, features\\)"):
        layer = rnn.SimpleRNN(2, input_dim=3, input_length=5)
    model = lamina.Sequential([layer])
    assert model.output_shape == (None, 2)
    assert rnn.LSTM(2, implementation=1).units == 2  # Keras 2 kernel choice: accepted


def test_encoder_states_seed_a_decoder_in_a_functional_model():
    """The Keras seq2seq tutorial pattern: return_state feeds initial_state."""
    encoder_inputs, decoder_inputs = lamina.Input(shape=(None, 3)), lamina.Input(shape=(None, 2))
    _, h, c = rnn.LSTM(4, return_state=True)(encoder_inputs)
    decoded = rnn.LSTM(4, return_sequences=True)(decoder_inputs, initial_state=[h, c])
    model = lamina.Model([encoder_inputs, decoder_inputs], decoded)
    source, target = torch.randn(2, 5, 3), torch.randn(2, 6, 2)
    output = model([source, target])
    assert tuple(output.shape) == (2, 6, 4)
    encoder, decoder = [layer for layer in model.layers if isinstance(layer, rnn.LSTM)]
    _, h, c = encoder(source)
    torch.testing.assert_close(output, decoder(target, initial_state=[h, c]))


def test_bidirectional_initial_weights_and_states():
    source = rnn.Bidirectional(rnn.GRU(2))
    source(X)
    copy = rnn.Bidirectional(rnn.GRU(2), weights=source.get_weights())
    torch.testing.assert_close(copy(X), source(X))
    stateful = rnn.Bidirectional(rnn.LSTM(2, stateful=True))
    first = stateful(X)
    assert len(stateful.states) == 4
    assert not torch.allclose(stateful(X), first)
    stateful.reset_states()
    torch.testing.assert_close(stateful(X), first)
    with pytest.raises(AttributeError, match="not stateful"):
        source.reset_states()
