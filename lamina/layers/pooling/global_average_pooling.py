"""GlobalAveragePooling1D/2D/3D: the mean of each channel over all spatial positions."""

from lamina.layers.pooling.base_global_pooling import BaseGlobalPooling
from lamina.registry.export import keras_export

_ARGS = """
    Args:
        data_format: "channels_last" (default) or "channels_first".
        keepdims: keep the reduced spatial axes with length 1 (default False: output
            `(batch, channels)`).
"""


class _GlobalAveragePooling(BaseGlobalPooling):
    def call(self, inputs):
        return inputs.mean(dim=self._axes, keepdim=self.keepdims)


@keras_export("layers.GlobalAveragePooling1D", "layers.GlobalAvgPool1D")
class GlobalAveragePooling1D(_GlobalAveragePooling):
    """Mean over steps: `(batch, steps, features)` -> `(batch, features)`.

    Call arguments:
        inputs: a 3D tensor.
        mask: optional `(batch, steps)` booleans; masked steps are left out of the mean (as
            after an `Embedding(mask_zero=True)`).
    """

    __doc__ += _ARGS
    rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._axes[0]
        weights = mask.unsqueeze(-1 if steps_axis == 1 else 1).to(inputs.dtype)
        total = (inputs * weights).sum(dim=steps_axis, keepdim=self.keepdims)
        return total / weights.sum(dim=steps_axis, keepdim=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


@keras_export("layers.GlobalAveragePooling2D", "layers.GlobalAvgPool2D")
class GlobalAveragePooling2D(_GlobalAveragePooling):
    """Mean over height and width: `(batch, h, w, channels)` -> `(batch, channels)`."""

    __doc__ += _ARGS
    rank = 2


@keras_export("layers.GlobalAveragePooling3D", "layers.GlobalAvgPool3D")
class GlobalAveragePooling3D(_GlobalAveragePooling):
    """Mean over three spatial axes: `(batch, d1, d2, d3, channels)` -> `(batch, channels)`."""

    __doc__ += _ARGS
    rank = 3
