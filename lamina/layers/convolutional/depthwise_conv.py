"""DepthwiseConv1D, DepthwiseConv2D (all the work is in `BaseDepthwiseConv`)."""

from lamina.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv
from lamina.registry.export import keras_export

_ARGS = """
    Args:
        kernel_size, strides, dilation_rate: int or tuple of {rank} ints.
        padding: "valid" or "same" (Keras "same": the odd padding pixel goes at the end).
        depth_multiplier: filters per input channel; the output has
            `in_channels * depth_multiplier` channels.
        data_format: "channels_last" (default) or "channels_first".
        activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
        bias_regularizer, activity_regularizer, depthwise_constraint, bias_constraint.

    Weights: `kernel` of shape `(*kernel_size, in_channels, depth_multiplier)` and `bias` of
    shape `(in_channels * depth_multiplier,)`.
"""


@keras_export("layers.DepthwiseConv1D")
class DepthwiseConv1D(BaseDepthwiseConv):
    """Depthwise 1D convolution: every channel is filtered on its own.

    Example:
    >>> tuple(DepthwiseConv1D(3, depth_multiplier=2)(np.zeros((2, 10, 4))).shape)
    (2, 8, 8)
    """

    __doc__ += _ARGS.format(rank=1)
    rank = 1


@keras_export("layers.DepthwiseConv2D")
class DepthwiseConv2D(BaseDepthwiseConv):
    """Depthwise 2D convolution (the first half of a MobileNet block).

    Example:
    >>> tuple(DepthwiseConv2D(3, padding="same")(np.zeros((1, 8, 8, 5))).shape)
    (1, 8, 8, 5)
    """

    __doc__ += _ARGS.format(rank=2)
    rank = 2
