"""AveragePooling1D/2D/3D: the mean of each window; with "same" padding, windows that overlap
the border average only their real elements (as Keras's TensorFlow and JAX backends do)."""

from lamina.layers.pooling.base_pooling import BasePooling
from lamina.registry.export import keras_export

_ARGS = """
    Args:
        pool_size: int or tuple of {rank} ints, the window (required, as in Keras 3).
        strides: int or tuple of {rank} ints; None (default) means `pool_size`.
        padding: "valid" or "same" (output `ceil(input / stride)`; padded positions are left
            out of the average).
        data_format: "channels_last" (default) or "channels_first".
"""


class _AveragePooling(BasePooling):
    mode = "average"

    def __init__(self, pool_size=None, strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


@keras_export("layers.AveragePooling1D", "layers.AvgPool1D")
class AveragePooling1D(_AveragePooling):
    """Average pooling over steps of `(batch, steps, features)`.

    Example:
    >>> tuple(AveragePooling1D(2)(np.zeros((2, 10, 3))).shape)
    (2, 5, 3)
    """

    __doc__ += _ARGS.format(rank=1)
    rank = 1


@keras_export("layers.AveragePooling2D", "layers.AvgPool2D")
class AveragePooling2D(_AveragePooling):
    """Average pooling over height and width.

    Example:
    >>> tuple(AveragePooling2D(3, strides=2, padding="same")(np.zeros((1, 6, 6, 2))).shape)
    (1, 3, 3, 2)
    """

    __doc__ += _ARGS.format(rank=2)
    rank = 2


@keras_export("layers.AveragePooling3D", "layers.AvgPool3D")
class AveragePooling3D(_AveragePooling):
    """Average pooling over three spatial axes.

    Example:
    >>> tuple(AveragePooling3D(2)(np.zeros((1, 4, 4, 4, 2))).shape)
    (1, 2, 2, 2, 2)
    """

    __doc__ += _ARGS.format(rank=3)
    rank = 3
