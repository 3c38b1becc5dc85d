"""The cell of ConvLSTM1D/2D/3D (Shi et al., 2015): an LSTM whose two matrix products are
convolutions, so inputs, states and gates keep their spatial axes.

Weights keep Keras's layout and names: `kernel (*kernel_size, in_channels, 4 * filters)`,
`recurrent_kernel (*kernel_size, filters, 4 * filters)`, `bias (4 * filters,)`, the gates along
the last axis in the order i, f, c, o. The input convolution uses the layer's strides, padding
and dilation; the recurrent one always runs with stride 1 and "same" padding, so the state keeps
the output's spatial size.

The cell follows the two-halves protocol of `RecurrentCell`: `project_inputs` convolves all
timesteps at once (time folded into the batch), `recurrent_step` adds the recurrent convolution.
Internally the projection is channels-first; the states and outputs are in the user's layout.

Dropout follows Keras: four input masks and four recurrent masks (one per gate), each shaped
like a whole step, drawn once per sequence. Gate g sees its own masked copy, which is one
grouped convolution (4 groups) over the four masked copies side by side.
"""

import torch

from lamina import config
from lamina.layers import padding as padding_utils
from lamina.layers.convolutional.base_conv import (
    check_positive_int, conv_output_shape, convolve, torch_conv_kernel,
)
from lamina.layers.rnn.cell_base import RecurrentCell
from lamina.layers.rnn.lstm import LSTMCell

_GATES = 4


class ConvLSTMCell(RecurrentCell):
    """One ConvLSTM step on `(batch, *spatial, channels)` (or channels-first) inputs; internal,
    as in Keras: use it through ConvLSTM1D/2D/3D."""

    gates = _GATES
    has_recurrent_activation = True

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        if rank not in (1, 2, 3):
            raise ValueError(f"ConvLSTM needs a convolution rank of 1, 2 or 3. Received: "
                             f"rank={rank!r}")
        filters = check_positive_int(filters, "filters")
        super().__init__(
            units=filters, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs,
        )
        self.rank = rank
        self.filters = filters
        self.kernel_size = padding_utils.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = padding_utils.normalize_tuple(strides, rank, "strides")
        self.dilation_rate = padding_utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = padding_utils.normalize_padding(padding)
        self.data_format = config.standardize_data_format(data_format)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides > 1` cannot be combined with `dilation_rate > 1`. Received: "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}."
            )
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [filters, filters]  # two states (h, c), each shaped like the output
        self.spatial_dims = None
        self.input_dim = None

    # ------------------------------------------------------------------ weights
    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f'Cell "{self.name}" expects one step of rank {self.rank + 2} '
                f"(batch, *spatial, channels); received input shape {input_shape}."
            )
        last = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if last else input_shape[2:]
        channels = input_shape[-1] if last else input_shape[1]
        if None in spatial:
            raise ValueError(
                "ConvLSTM layers need known spatial dimensions (the state has the output's "
                f"spatial shape). Received input step shape {input_shape}; give Input a full "
                "shape, e.g. Input(shape=(None, 32, 32, 3)) (only the time axis may be None)."
            )
        if channels is None:
            raise ValueError(
                f"ConvLSTM needs a known channel dimension ({self.data_format}). Received "
                f"input step shape {input_shape}."
            )
        self.spatial_dims = tuple(int(n) for n in spatial)
        self.input_dim = int(channels)
        conv_output_shape(self, input_shape, self.filters, self.kernel_size)  # kernel too large?
        width = _GATES * self.filters
        self.kernel = self.add_weight(
            shape=self.kernel_size + (self.input_dim, width), initializer=self.kernel_initializer,
            name="kernel", regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, width),
            initializer=self.recurrent_initializer, name="recurrent_kernel",
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(width,), initializer=self.bias_initializer_for_build(), name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        self.built = True

    # The forget-gate ones of `unit_forget_bias` are the LSTM's, with units = filters.
    bias_initializer_for_build = LSTMCell.bias_initializer_for_build

    # ------------------------------------------------------------------ the two halves
    def project_inputs(self, inputs, training=False):
        """Input convolution (+ bias) of one step `(batch, ...)` or a whole sequence
        `(batch, time, ...)`; the result is channels-first, time kept at axis 1."""
        sequence = inputs.ndim == self.rank + 3
        batch = inputs.shape[0]
        steps = inputs.flatten(0, 1) if sequence else inputs
        x = padding_utils.to_channels_first(steps, self.data_format)
        weight, groups = torch_conv_kernel(self.kernel), 1
        masks = self.get_dropout_mask(inputs[:, 0] if sequence else inputs) \
            if training and 0.0 < self.dropout < 1.0 else None
        if masks is not None:
            if sequence:  # the same masks at every timestep
                masks = [m.unsqueeze(1).expand(inputs.shape).flatten(0, 1) for m in masks]
            x = torch.cat([padding_utils.to_channels_first(steps * m, self.data_format)
                           for m in masks], dim=1)
            groups = _GATES  # the torch kernel (4 * filters, in, *k) pairs copy g with gate g
        y = convolve(x, weight, self.bias, self.strides, self.padding, self.dilation_rate, groups)
        return y.unflatten(0, (batch, -1)) if sequence else y

    def recurrent_step(self, projected, states, training=False):
        h_previous, c_previous = states[0], states[1]
        h = padding_utils.to_channels_first(h_previous, self.data_format)
        weight, groups = torch_conv_kernel(self.recurrent_kernel), 1
        if training and 0.0 < self.recurrent_dropout < 1.0:
            masks = self.get_recurrent_dropout_mask(h_previous)
            h = torch.cat([padding_utils.to_channels_first(h_previous * m, self.data_format)
                           for m in masks], dim=1)
            groups = _GATES  # the torch kernel (4 * filters, in, *k) pairs copy g with gate g
        ones = (1,) * self.rank
        z = projected + convolve(h, weight, None, ones, "same", ones, groups)
        z_i, z_f, z_c, z_o = z.chunk(_GATES, dim=1)
        c_previous = padding_utils.to_channels_first(c_previous, self.data_format)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_previous + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        h = padding_utils.from_channels_first(h, self.data_format)
        c = padding_utils.from_channels_first(c, self.data_format)
        return h, [h, c]

    # ------------------------------------------------------------------ dropout masks
    def get_dropout_mask(self, step_input):
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = [self._draw_mask(step_input, self.dropout)
                                  for _ in range(_GATES)]
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_state):
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = [self._draw_mask(step_state, self.recurrent_dropout)
                                            for _ in range(_GATES)]
        return self._recurrent_dropout_mask

    # ------------------------------------------------------------------ shapes and states
    def compute_output_shape(self, input_shape, states_shape=None):
        shape = conv_output_shape(self, input_shape, self.filters, self.kernel_size)
        return shape, [shape, shape]

    def state_shape(self, batch_size):
        """The shape of h and c for `batch_size` samples (known once built)."""
        last = self.data_format == "channels_last"
        step = ((batch_size,) + self.spatial_dims + (self.input_dim,) if last
                else (batch_size, self.input_dim) + self.spatial_dims)
        return conv_output_shape(self, step, self.filters, self.kernel_size)

    def get_initial_state(self, batch_size=None):
        options = {"dtype": self._torch_dtype}
        if self.built:
            options["device"] = self.kernel.device
        return [torch.zeros(self.state_shape(batch_size), **options) for _ in range(2)]

    # ------------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        del config["units"]
        return {
            **config,
            "rank": self.rank,  # not in Keras's cell config; the layers drop it from theirs
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "unit_forget_bias": self.unit_forget_bias,
        }

