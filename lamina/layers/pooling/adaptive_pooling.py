"""AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D: pool to a fixed output size.

Bin `i` of an axis of length `L` pooled to `n` covers `[floor(i * L / n), ceil((i + 1) * L / n))`
(windows overlap by one when `L / n` is not an integer, and repeat when `n > L`). Keras's
backends use exactly these bins, and so do torch's `F.adaptive_*_pool*d`, which do the work here
(on channels-first tensors).
"""

import torch.nn.functional as F

from lamina import config
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export

_AVERAGE = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
_MAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
_SPATIAL = {1: "steps", 2: "(height, width)", 3: "(depth, height, width)"}


def _output_size_tuple(output_size, rank, where):
    if isinstance(output_size, int) and not isinstance(output_size, bool):
        return (output_size,) * rank
    if isinstance(output_size, (tuple, list)) and len(output_size) == rank and all(
            isinstance(size, int) and not isinstance(size, bool) for size in output_size):
        return tuple(output_size)
    raise TypeError(f"{where}: `output_size` must be an integer or a tuple of {rank} integers "
                    f"{_SPATIAL[rank]}. Received: {output_size!r} of type "
                    f"{type(output_size).__name__}")


class BaseAdaptivePooling(Layer):
    """Subclasses set `rank` and `_pool` (a dict rank -> torch function)."""

    rank = None
    _pool = None

    def __init__(self, output_size, data_format=None, **kwargs):
        where = f"{type(self).__name__}()"
        super().__init__(**kwargs)
        self.output_size = _output_size_tuple(output_size, self.rank, where)
        if any(size <= 0 for size in self.output_size):
            raise ValueError(f"{where}: `output_size` must be positive. "
                             f"Received: {output_size!r}")
        self.data_format = config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def call(self, inputs):
        channels_last = self.data_format == "channels_last"
        if channels_last:  # torch pools (batch, channels, *spatial)
            inputs = inputs.movedim(-1, 1)
        outputs = type(self)._pool[self.rank](inputs, self.output_size)
        if isinstance(outputs, tuple):  # (values, indices) from some torch versions
            outputs = outputs[0]
        return outputs.movedim(1, -1) if channels_last else outputs

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}


_ARGS = """
    Args:
        output_size: an integer (the same size for every spatial axis) or a tuple with one
            size per spatial axis.
        data_format: "channels_last" (`(batch, *spatial, channels)`) or "channels_first"
            (`(batch, channels, *spatial)`); defaults to `image_data_format()`.
"""


class _AdaptiveAverage(BaseAdaptivePooling):
    _pool = _AVERAGE


class _AdaptiveMax(BaseAdaptivePooling):
    _pool = _MAX


@keras_export("layers.AdaptiveAveragePooling1D")
class AdaptiveAveragePooling1D(_AdaptiveAverage):
    """Average pooling of `steps` down (or up) to `output_size` bins."""

    __doc__ += _ARGS
    rank = 1


@keras_export("layers.AdaptiveAveragePooling2D")
class AdaptiveAveragePooling2D(_AdaptiveAverage):
    """Average pooling of `(height, width)` to `output_size` bins."""

    __doc__ += _ARGS
    rank = 2


@keras_export("layers.AdaptiveAveragePooling3D")
class AdaptiveAveragePooling3D(_AdaptiveAverage):
    """Average pooling of `(depth, height, width)` to `output_size` bins."""

    __doc__ += _ARGS
    rank = 3


@keras_export("layers.AdaptiveMaxPooling1D")
class AdaptiveMaxPooling1D(_AdaptiveMax):
    """Max pooling of `steps` down (or up) to `output_size` bins."""

    __doc__ += _ARGS
    rank = 1


@keras_export("layers.AdaptiveMaxPooling2D")
class AdaptiveMaxPooling2D(_AdaptiveMax):
    """Max pooling of `(height, width)` to `output_size` bins."""

    __doc__ += _ARGS
    rank = 2


@keras_export("layers.AdaptiveMaxPooling3D")
class AdaptiveMaxPooling3D(_AdaptiveMax):
    """Max pooling of `(depth, height, width)` to `output_size` bins."""

    __doc__ += _ARGS
    rank = 3
