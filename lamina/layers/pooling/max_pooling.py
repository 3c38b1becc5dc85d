"""MaxPooling1D/2D/3D: the largest value in each window (padding never wins)."""

from lamina.layers.pooling.base_pooling import BasePooling
from lamina.registry.export import keras_export

_ARGS = """
    Args:
        pool_size: int or tuple of {rank} ints, the window (default {default}).
        strides: int or tuple of {rank} ints; None (default) means `pool_size`.
        padding: "valid" (windows inside the input) or "same" (output `ceil(input / stride)`,
            padding split with the odd pixel at the end and ignored by the max).
        data_format: "channels_last" (default) or "channels_first".
"""


@keras_export("layers.MaxPooling1D", "layers.MaxPool1D")
class MaxPooling1D(BasePooling):
    """Max pooling over steps of `(batch, steps, features)`.

    Example:
    >>> tuple(MaxPooling1D()(np.zeros((2, 10, 3))).shape)
    (2, 5, 3)
    """

    __doc__ += _ARGS.format(rank=1, default=2)
    rank, mode = 1, "max"


@keras_export("layers.MaxPooling2D", "layers.MaxPool2D")
class MaxPooling2D(BasePooling):
    """Max pooling over height and width of `(batch, height, width, channels)`.

    Example:
    >>> tuple(MaxPooling2D((2, 2))(np.zeros((2, 28, 28, 8))).shape)
    (2, 14, 14, 8)
    """

    __doc__ += _ARGS.format(rank=2, default=(2, 2))
    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


@keras_export("layers.MaxPooling3D", "layers.MaxPool3D")
class MaxPooling3D(BasePooling):
    """Max pooling over the three spatial axes of `(batch, d1, d2, d3, channels)`.

    Example:
    >>> tuple(MaxPooling3D()(np.zeros((1, 4, 4, 4, 2))).shape)
    (1, 2, 2, 2, 2)
    """

    __doc__ += _ARGS.format(rank=3, default=(2, 2, 2))
    rank, mode = 3, "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)
