"""Conv1DTranspose, Conv2DTranspose, Conv3DTranspose (all the work is in `BaseConvTranspose`)."""

from lamina.layers.convolutional.base_conv_transpose import BaseConvTranspose
from lamina.registry.export import keras_export

_ARGS = """
    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: int or tuple of {rank} ints.
        padding: "valid": output `(input - 1) * stride + max(kernel, stride)`; "same": output
            `input * stride`.
        output_padding: int or tuple of {rank} ints, each smaller than its stride; when given,
            the output is `(input - 1) * stride + kernel + output_padding` ("valid") or
            `(input - 1) * stride + kernel % 2 + output_padding` ("same"). None: as above.
        data_format: "channels_last" (default) or "channels_first".
        activation, use_bias, initializers, regularizers, constraints: as in Conv{rank}D.

    Weights: `kernel` of shape `(*kernel_size, filters, in_channels)` (note: filters before
    input channels) and `bias` of shape `(filters,)`.
"""


@keras_export("layers.Conv1DTranspose", "layers.Convolution1DTranspose")
class Conv1DTranspose(BaseConvTranspose):
    """Transposed 1D convolution (upsampling a sequence by `strides`).

    Example:
    >>> tuple(Conv1DTranspose(4, 3, strides=2, padding="same")(np.zeros((2, 5, 3))).shape)
    (2, 10, 4)
    """

    __doc__ += _ARGS.format(rank=1)
    rank = 1


@keras_export("layers.Conv2DTranspose", "layers.Convolution2DTranspose")
class Conv2DTranspose(BaseConvTranspose):
    """Transposed 2D convolution, the usual learned upsampling of decoders and GANs.

    Example:
    >>> tuple(Conv2DTranspose(8, 3, strides=2, padding="same")(np.zeros((1, 7, 7, 16))).shape)
    (1, 14, 14, 8)
    """

    __doc__ += _ARGS.format(rank=2)
    rank = 2


@keras_export("layers.Conv3DTranspose", "layers.Convolution3DTranspose")
class Conv3DTranspose(BaseConvTranspose):
    """Transposed 3D convolution.

    Unlike the 1D and 2D versions, Keras puts `data_format` before `output_padding` in the
    positional order; this signature keeps that order.

    Example:
    >>> tuple(Conv3DTranspose(2, 2, strides=2)(np.zeros((1, 3, 3, 3, 4))).shape)
    (1, 6, 6, 6, 2)
    """

    __doc__ += _ARGS.format(rank=3)
    rank = 3

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, output_padding=None, dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            filters, kernel_size, strides=strides, padding=padding, output_padding=output_padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )
