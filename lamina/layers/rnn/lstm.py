"""LSTM (Hochreiter & Schmidhuber, 1997). Gates along the last weight axis in Keras's order
i, f, c, o — the same order as torch's i, f, g, o, so the fused kernel takes the weights as
transposed views."""

import torch
import torch.nn.functional as F

from lamina import initializers
from lamina.layers.rnn.cell_base import RecurrentCell, is_activation
from lamina.layers.rnn.recurrent_layer import RecurrentLayer
from lamina.registry.export import keras_export


@keras_export("layers.LSTMCell")
class LSTMCell(RecurrentCell):
    gates = 4
    fused_weights_transposed = True
    has_recurrent_activation = True

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs,
        )
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [units, units]

    def bias_initializer_for_build(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer
        ones = initializers.get("ones")

        def forget_gate_ones(shape, dtype=None):
            # Jozefowicz et al. (2015): start the forget gate open.
            return torch.cat([
                torch.as_tensor(base((units,), dtype=dtype)),
                torch.as_tensor(ones((units,), dtype=dtype)),
                torch.as_tensor(base((2 * units,), dtype=dtype)),
            ])

        return forget_gate_ones

    def project_inputs(self, inputs, training=False):
        return F.linear(self._dropped_inputs(inputs, training), self.kernel.t(), self.bias)

    def recurrent_step(self, projected, states, training=False):
        h_previous, c_previous = states[0], states[1]
        z = projected + self._dropped_state(h_previous, training) @ self.recurrent_kernel
        z_i, z_f, z_c, z_o = z.chunk(4, dim=-1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_previous + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]

    def torch_rnn_kernel(self):
        if not (is_activation(self.activation, "tanh") and
                is_activation(self.recurrent_activation, "sigmoid")):
            return None
        params = [self.kernel.t(), self.recurrent_kernel.t()]
        if self.use_bias:
            params += [self.bias, torch.zeros_like(self.bias)]
        return torch.lstm, params, self.use_bias

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


@keras_export("layers.LSTM")
class LSTM(RecurrentLayer):
    cell_class = LSTMCell
    cell_name = "lstm_cell"

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        cell_arguments = dict(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed,
        )
        rnn_arguments = dict(
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer,
        )
        super().__init__(cell_arguments, rnn_arguments, {**kwargs, "use_cudnn": use_cudnn})
