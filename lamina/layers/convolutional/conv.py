"""Conv1D, Conv2D, Conv3D: the plain convolutions (all the work is in `BaseConv`)."""

from lamina.layers.convolutional.base_conv import BaseConv
from lamina.registry.export import keras_export

_ARGS = """
    Args:
        filters: number of output channels.
        kernel_size: int or tuple of {rank} ints, the window size.
        strides: int or tuple of {rank} ints (default 1). Cannot exceed 1 together with
            `dilation_rate`.
        padding: "valid" (none), "same" (output size `ceil(input / stride)`; an odd total
            padding puts the extra zero at the end){causal}.
        data_format: "channels_last" (default, `(batch, *spatial, channels)`) or
            "channels_first" (`(batch, channels, *spatial)`).
        dilation_rate: int or tuple of {rank} ints, spacing between kernel taps.
        groups: split the input channels into this many groups convolved separately; both
            the input channels and `filters` must be divisible by it.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as in Dense.

    Weights: `kernel` of shape `(*kernel_size, in_channels // groups, filters)` and `bias` of
    shape `(filters,)`, the Keras layout.
"""


@keras_export("layers.Conv1D", "layers.Convolution1D")
class Conv1D(BaseConv):
    """1D convolution over sequences `(batch, steps, channels)`.

    Example:
    >>> layer = Conv1D(8, 3, padding="causal")
    >>> tuple(layer(np.zeros((2, 10, 4))).shape)
    (2, 10, 8)
    """

    __doc__ += _ARGS.format(rank=1, causal=', or "causal" (left padding only, so output t '
                                          "never sees inputs after t)")
    rank = 1


@keras_export("layers.Conv2D")
class Conv2D(BaseConv):
    """2D convolution over images `(batch, height, width, channels)`.

    Example:
    >>> layer = Conv2D(16, 3, strides=2, padding="same", activation="relu")
    >>> tuple(layer(np.zeros((2, 28, 28, 1))).shape)
    (2, 14, 14, 16)
    """

    __doc__ += _ARGS.format(rank=2, causal="")
    rank = 2


@keras_export("layers.Conv3D")
class Conv3D(BaseConv):
    """3D convolution over volumes `(batch, depth, height, width, channels)`.

    Example:
    >>> layer = Conv3D(4, (3, 3, 3))
    >>> tuple(layer(np.zeros((1, 8, 8, 8, 2))).shape)
    (1, 6, 6, 6, 4)
    """

    __doc__ += _ARGS.format(rank=3, causal="")
    rank = 3
