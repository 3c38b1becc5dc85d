"""GRU (Cho et al., 2014). Keras orders the gates z, r, h along the last weight axis; torch
orders them r, z, n, so the fused kernel gets reordered copies of the weights.

`reset_after=True` (the default, and torch's and cuDNN's formula) applies the reset gate after
the recurrent matmul and has two bias rows, input and recurrent: bias shape `(2, 3 * units)`.
`reset_after=False` (Keras 1/2's formula) applies it before: `(r * h) @ recurrent_kernel_h`;
torch has no kernel for it, so it always runs the explicit loop.
"""

import torch
import torch.nn.functional as F

from lamina.layers.rnn.cell_base import RecurrentCell, is_activation
from lamina.layers.rnn.recurrent_layer import RecurrentLayer
from lamina.registry.export import keras_export


@keras_export("layers.GRUCell")
class GRUCell(RecurrentCell):
    gates = 3
    has_recurrent_activation = True

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, reset_after=True, seed=None, **kwargs):
        super().__init__(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs,
        )
        self.reset_after = bool(reset_after)
        self.state_size = units

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def project_inputs(self, inputs, training=False):
        return F.linear(self._dropped_inputs(inputs, training), self.kernel.t(),
                        self._input_bias())

    def recurrent_step(self, projected, states, training=False):
        h_previous = states[0]
        h_dropped = self._dropped_state(h_previous, training)
        x_z, x_r, x_h = projected.chunk(3, dim=-1)
        units = self.units
        if self.reset_after:
            inner = h_dropped @ self.recurrent_kernel
            if self.bias is not None:
                inner = inner + self.bias[1]
            inner_z, inner_r, inner_h = inner.chunk(3, dim=-1)
            z = self.recurrent_activation(x_z + inner_z)
            r = self.recurrent_activation(x_r + inner_r)
            candidate = self.activation(x_h + r * inner_h)
        else:
            inner = h_dropped @ self.recurrent_kernel[:, :2 * units]
            inner_z, inner_r = inner.chunk(2, dim=-1)
            z = self.recurrent_activation(x_z + inner_z)
            r = self.recurrent_activation(x_r + inner_r)
            reset_state = r * h_dropped
            candidate = self.activation(x_h + reset_state @ self.recurrent_kernel[:, 2 * units:])
        h = z * h_previous + (1 - z) * candidate
        return h, [h]

    def torch_rnn_kernel(self):
        if not (self.reset_after and is_activation(self.activation, "tanh") and
                is_activation(self.recurrent_activation, "sigmoid")):
            return None
        params = [_torch_gate_order(self.kernel).t(), _torch_gate_order(self.recurrent_kernel).t()]
        if self.use_bias:
            params += [_torch_gate_order(self.bias[0]), _torch_gate_order(self.bias[1])]
        return torch.gru, params, self.use_bias

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


def _torch_gate_order(weight):
    """Keras z, r, h -> torch r, z, n along the last axis."""
    z, r, h = weight.chunk(3, dim=-1)
    return torch.cat([r, z, h], dim=-1)


@keras_export("layers.GRU")
class GRU(RecurrentLayer):
    cell_class = GRUCell
    cell_name = "gru_cell"

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        cell_arguments = dict(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            seed=seed,
        )
        rnn_arguments = dict(
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer,
        )
        super().__init__(cell_arguments, rnn_arguments, {**kwargs, "use_cudnn": use_cudnn})
