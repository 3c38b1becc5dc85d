"""ConvLSTM1D, ConvLSTM2D, ConvLSTM3D: an RNN over sequences of 1D/2D/3D feature maps whose
cell is `ConvLSTMCell` (convolutions instead of matrix products).

Inputs are `(batch, time, *spatial, channels)` (or `(batch, time, channels, *spatial)` with
`data_format="channels_first"`); outputs and both states `h`, `c` are feature maps
`(batch, *out_spatial, filters)`, with a time axis after the batch with `return_sequences`.
The time loop, masking, `go_backwards`, `stateful` and `initial_state` are RNN's; the config is
the cell's arguments plus the RNN's, as Keras writes it (no nested "cell").
"""

import torch

from lamina.layers.input_spec import InputSpec
from lamina.layers.rnn.conv_lstm_cell import ConvLSTMCell
from lamina.layers.rnn.recurrent_layer import RecurrentLayer
from lamina.layers.rnn.rnn import RNN
from lamina.registry.export import keras_export

_CONV_ATTRIBUTES = ("filters", "kernel_size", "strides", "padding", "data_format",
                    "dilation_rate")


class ConvLSTM(RecurrentLayer):
    """Base of ConvLSTM1D/2D/3D; subclasses set `rank`."""

    rank = None
    cell_class = ConvLSTMCell
    cell_name = "conv_lstm_cell"

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation="tanh",
                 recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, **kwargs):
        if "use_cudnn" in kwargs:  # an LSTM option; ConvLSTM has no fused kernel
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument "
                            "'use_cudnn' (only LSTM and GRU have it).")
        cell_arguments = dict(
            rank=self.rank, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, recurrent_activation=recurrent_activation,
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
            go_backwards=go_backwards, stateful=stateful,
            activity_regularizer=activity_regularizer,
        )
        super().__init__(cell_arguments, rnn_arguments, kwargs)
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) != self.rank + 3:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects inputs of rank '
                f"{self.rank + 3}: (batch, time, *{self.rank} spatial axes, channels) or "
                f"channels-first; received input shape {tuple(sequences_shape)}."
            )
        RNN.build(self, sequences_shape, initial_state_shape)
        channel_axis = -1 if self.data_format == "channels_last" else 2
        self.input_spec = InputSpec(ndim=self.rank + 3,
                                    axes={channel_axis: sequences_shape[channel_axis]})

    def call(self, sequences, initial_state=None, mask=None, training=False):
        step_mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        if step_mask is not None and getattr(step_mask, "ndim", 2) != 2:
            # Masking on feature maps masks single pixels, which a per-timestep RNN cannot
            # honour (Keras's torch backend applies it pixelwise, its JAX backend fails).
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) takes a mask of shape '
                f"(batch, timesteps), one flag per timestep; received a mask of shape "
                f"{tuple(step_mask.shape)} (a Masking layer on feature maps gives one flag per "
                "pixel). Pass mask= explicitly, e.g. the per-timestep `any` of that mask."
            )
        return super().call(sequences, initial_state=initial_state, mask=mask,
                            training=training)

    def get_initial_state(self, batch_size, like=None):
        options = {"dtype": self._torch_dtype} if like is None else \
            {"dtype": like.dtype, "device": like.device}
        shape = self.cell.state_shape(batch_size)
        return [torch.zeros(shape, **options), torch.zeros(shape, **options)]

    def get_config(self):
        config = super().get_config()
        del config["rank"]  # fixed by the class, as in Keras
        return config

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        batch_size, steps = sequences_shape[0], sequences_shape[1]
        state_shape, _ = self.cell.compute_output_shape((batch_size,) + sequences_shape[2:])
        output_shape = ((batch_size, steps) + tuple(state_shape[1:]) if self.return_sequences
                        else tuple(state_shape))
        if self.return_state:
            return output_shape, tuple(state_shape), tuple(state_shape)
        return output_shape


def _delegate(name):
    return property(lambda self: getattr(self.cell, name))


for _name in _CONV_ATTRIBUTES:
    setattr(ConvLSTM, _name, _delegate(_name))


_ARGS = """
    Args:
        filters: number of output channels (of the output and of both states).
        kernel_size: int or tuple of {rank} ints, the window of both convolutions.
        strides: int or tuple of {rank} ints, strides of the input convolution (the recurrent
            one always uses stride 1). Cannot exceed 1 together with `dilation_rate`.
        padding: "valid" or "same", for the input convolution (the recurrent one is always
            "same", so the state keeps the output's size).
        data_format: "channels_last" (default: `(batch, time, *spatial, channels)`) or
            "channels_first" (`(batch, time, channels, *spatial)`).
        dilation_rate: int or tuple of {rank} ints, for the input convolution.
        activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint, dropout, recurrent_dropout, seed: as in LSTM (the dropout masks have
            the shape of a whole input step or state, one per gate).
        return_sequences, return_state, go_backwards, stateful: as in RNN.

    Weights: `kernel` `(*kernel_size, channels, 4 * filters)`, `recurrent_kernel`
    `(*kernel_size, filters, 4 * filters)` and `bias` `(4 * filters,)`, gates in the order
    input, forget, cell, output (Keras's layout).
"""


@keras_export("layers.ConvLSTM1D")
class ConvLSTM1D(ConvLSTM):
    """Convolutional LSTM over sequences of 1D feature maps `(batch, time, steps, channels)`.

    Example:
    >>> layer = ConvLSTM1D(4, 3, padding="same", return_sequences=True)
    >>> tuple(layer(np.zeros((2, 5, 10, 3))).shape)
    (2, 5, 10, 4)
    """

    __doc__ += _ARGS.format(rank=1)
    rank = 1


@keras_export("layers.ConvLSTM2D")
class ConvLSTM2D(ConvLSTM):
    """Convolutional LSTM over sequences of images `(batch, time, rows, cols, channels)`
    (Shi et al., 2015, https://arxiv.org/abs/1506.04214).

    Example:
    >>> layer = ConvLSTM2D(8, (3, 3))
    >>> tuple(layer(np.zeros((2, 5, 16, 16, 3))).shape)
    (2, 14, 14, 8)
    """

    __doc__ += _ARGS.format(rank=2)
    rank = 2


@keras_export("layers.ConvLSTM3D")
class ConvLSTM3D(ConvLSTM):
    """Convolutional LSTM over sequences of volumes `(batch, time, depth, rows, cols,
    channels)`.

    Example:
    >>> layer = ConvLSTM3D(2, 3, padding="same", return_state=True)
    >>> [tuple(t.shape) for t in layer(np.zeros((1, 3, 4, 4, 4, 1)))]
    [(1, 4, 4, 4, 2), (1, 4, 4, 4, 2), (1, 4, 4, 4, 2)]
    """

    __doc__ += _ARGS.format(rank=3)
    rank = 3
