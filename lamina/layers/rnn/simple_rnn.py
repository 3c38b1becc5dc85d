"""SimpleRNN: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`."""

import torch
import torch.nn.functional as F

from lamina.layers.rnn.cell_base import RecurrentCell, is_activation
from lamina.layers.rnn.recurrent_layer import RecurrentLayer
from lamina.registry.export import keras_export


@keras_export("layers.SimpleRNNCell")
class SimpleRNNCell(RecurrentCell):
    gates = 1
    fused_weights_transposed = True

    def __init__(self, units=None, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(
            units=units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed, **kwargs,
        )
        self.state_size = units

    def project_inputs(self, inputs, training=False):
        return F.linear(self._dropped_inputs(inputs, training), self.kernel.t(), self.bias)

    def recurrent_step(self, projected, states, training=False):
        previous = self._dropped_state(states[0], training)
        output = self.activation(projected + previous @ self.recurrent_kernel)
        return output, [output]

    def torch_rnn_kernel(self):
        if is_activation(self.activation, "tanh"):
            function = torch.rnn_tanh
        elif is_activation(self.activation, "relu"):
            function = torch.rnn_relu
        else:
            return None
        params = [self.kernel.t(), self.recurrent_kernel.t()]
        if self.use_bias:
            params += [self.bias, torch.zeros_like(self.bias)]
        return function, params, self.use_bias


@keras_export("layers.SimpleRNN")
class SimpleRNN(RecurrentLayer):
    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"

    def __init__(self, units=None, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        cell_arguments = dict(
            units=units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
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
        super().__init__(cell_arguments, rnn_arguments, kwargs)
