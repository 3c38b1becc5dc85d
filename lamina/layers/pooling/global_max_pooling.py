"""GlobalMaxPooling1D/2D/3D: the largest value of each channel over all spatial positions."""

from lamina.layers.pooling.base_global_pooling import BaseGlobalPooling
from lamina.registry.export import keras_export

_ARGS = """
    Args:
        data_format: "channels_last" (default) or "channels_first".
        keepdims: keep the reduced spatial axes with length 1 (default False: output
            `(batch, channels)`).
"""


class _GlobalMaxPooling(BaseGlobalPooling):
    def call(self, inputs):
        return inputs.amax(dim=self._axes, keepdim=self.keepdims)


@keras_export("layers.GlobalMaxPooling1D", "layers.GlobalMaxPool1D")
class GlobalMaxPooling1D(_GlobalMaxPooling):
    """Max over steps: `(batch, steps, features)` -> `(batch, features)`."""

    __doc__ += _ARGS
    rank = 1


@keras_export("layers.GlobalMaxPooling2D", "layers.GlobalMaxPool2D")
class GlobalMaxPooling2D(_GlobalMaxPooling):
    """Max over height and width: `(batch, h, w, channels)` -> `(batch, channels)`."""

    __doc__ += _ARGS
    rank = 2


@keras_export("layers.GlobalMaxPooling3D", "layers.GlobalMaxPool3D")
class GlobalMaxPooling3D(_GlobalMaxPooling):
    """Max over three spatial axes: `(batch, d1, d2, d3, channels)` -> `(batch, channels)`."""

    __doc__ += _ARGS
    rank = 3
