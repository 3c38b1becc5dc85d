"""ZeroPadding1D/2D/3D: add zeros before and after each spatial axis.

`padding` gives a `(before, after)` amount per spatial axis (an int means the same everywhere).
"""

import torch.nn.functional as F

from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.reshaping import spatial_arguments as args
from lamina.registry.export import keras_export


class _ZeroPadding(Layer):
    _rank = None

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = f"{type(self).__name__}()"
        self.padding = args.amount_pairs(padding, self._rank, "padding", where)
        self.data_format = args.data_format_or_default(data_format)
        axes = args.spatial_axes(self._rank, self.data_format)
        self._axes = axes
        # F.pad lists (before, after) from the last axis backwards.
        amounts = dict(zip(axes, self.padding))
        ndim = self._rank + 2
        self._torch_padding = [p for axis in reversed(range(1, ndim))
                               for p in amounts.get(axis, (0, 0))]
        self.input_spec = InputSpec(ndim=ndim)
        self.built = True

    def call(self, inputs):
        return F.pad(inputs, self._torch_padding)

    def compute_output_shape(self, input_shape):
        output = list(input_shape)
        for axis, (before, after) in zip(self._axes, self.padding):
            if output[axis] is not None:
                output[axis] += before + after
        return tuple(output)

    def _config_padding(self):
        return self.padding

    def get_config(self):
        return {**super().get_config(), "padding": self._config_padding(),
                "data_format": self.data_format}


@keras_export("layers.ZeroPadding1D")
class ZeroPadding1D(_ZeroPadding):
    _rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)

    def _config_padding(self):
        return self.padding[0]


@keras_export("layers.ZeroPadding2D")
class ZeroPadding2D(_ZeroPadding):
    _rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


@keras_export("layers.ZeroPadding3D")
class ZeroPadding3D(_ZeroPadding):
    _rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)
