"""SeparableConv1D, SeparableConv2D (all the work is in `BaseSeparableConv`)."""

from lamina.layers.convolutional.base_separable_conv import BaseSeparableConv
from lamina.registry.export import keras_export

_ARGS = """
    Args:
        filters: output channels of the pointwise step.
        kernel_size, strides, dilation_rate: int or tuple of {rank} ints (depthwise step).
        padding: "valid" or "same" (Keras "same": the odd padding pixel goes at the end).
        data_format: "channels_last" (default) or "channels_first".
        depth_multiplier: depthwise filters per input channel.
        activation, use_bias, and depthwise_/pointwise_/bias_ initializer, regularizer and
        constraint; activity_regularizer.

    Weights: `depthwise_kernel (*kernel_size, in, depth_multiplier)`, `pointwise_kernel
    ({ones}in * depth_multiplier, filters)`, `bias (filters,)`.
"""


@keras_export("layers.SeparableConv1D", "layers.SeparableConvolution1D")
class SeparableConv1D(BaseSeparableConv):
    """Depthwise then pointwise 1D convolution: fewer weights than Conv1D for the same window.

    Example:
    >>> tuple(SeparableConv1D(6, 3, padding="same")(np.zeros((2, 10, 4))).shape)
    (2, 10, 6)
    """

    __doc__ += _ARGS.format(rank=1, ones="1, ")
    rank = 1


@keras_export("layers.SeparableConv2D")
class SeparableConv2D(BaseSeparableConv):
    """Depthwise then pointwise 2D convolution (Xception's building block).

    Example:
    >>> tuple(SeparableConv2D(6, 3, strides=2)(np.zeros((1, 9, 9, 4))).shape)
    (1, 4, 4, 6)
    """

    __doc__ += _ARGS.format(rank=2, ones="1, 1, ")
    rank = 2
