"""UpSampling1D/2D/3D: repeat each step/pixel/voxel `size` times along the spatial axes.

UpSampling2D can also interpolate (`"bilinear"`, `"bicubic"`), with half-pixel centers and no
corner alignment: the numbers of Keras's `ops.image.resize` (and of `F.interpolate(...,
align_corners=False)`).
"""

import torch.nn.functional as F

from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.reshaping import spatial_arguments as args
from lamina.registry.export import keras_export

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic")


def repeat_axes(x, axes, factors):
    """Nearest-neighbour upsampling as one broadcast copy: a size-1 axis after each spatial
    axis is expanded to the factor, then merged (one kernel; repeat_interleave needs one per
    axis)."""
    view, expanded, output = [], [], []
    factor_of = dict(zip(axes, factors))
    for axis, size in enumerate(x.shape):
        view.append(size)
        expanded.append(size)
        output.append(size)
        if axis in factor_of:
            view.append(1)
            expanded.append(factor_of[axis])
            output[-1] = size * factor_of[axis]
    return x.reshape(view).expand(expanded).reshape(output)


class _UpSampling(Layer):
    _rank = None

    def __init__(self, size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = args.int_tuple(size, self._rank, "size", f"{type(self).__name__}()")
        self.data_format = args.data_format_or_default(data_format)
        self._axes = args.spatial_axes(self._rank, self.data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)
        self.built = True

    def call(self, inputs):
        return repeat_axes(inputs, self._axes, self.size)

    def compute_output_shape(self, input_shape):
        output = list(input_shape)
        for axis, factor in zip(self._axes, self.size):
            if output[axis] is not None:
                output[axis] *= factor
        return tuple(output)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


@keras_export("layers.UpSampling1D")
class UpSampling1D(_UpSampling):
    """`(batch, steps, features)` -> `(batch, steps * size, features)`."""

    _rank = 1

    def __init__(self, size=2, **kwargs):
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"UpSampling1D() expects an integer `size`. Received: size={size!r}")
        super().__init__(size, data_format="channels_last", **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")
        return {**config, "size": self.size[0]}


@keras_export("layers.UpSampling2D")
class UpSampling2D(_UpSampling):
    _rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, **kwargs)
        interpolation = str(interpolation).lower()
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"UpSampling2D() supports interpolation in {list(_INTERPOLATIONS)}. Received: "
                f"interpolation={interpolation!r}"
            )
        self.interpolation = interpolation

    def call(self, inputs):
        if self.interpolation == "nearest":
            return repeat_axes(inputs, self._axes, self.size)
        channels_last = self.data_format == "channels_last"
        # channels_last: the (N, C, H, W) view is torch's channels_last memory format, which
        # F.interpolate handles without a copy.
        x = inputs.permute(0, 3, 1, 2) if channels_last else inputs
        outputs = F.interpolate(x, scale_factor=self.size, mode=self.interpolation,
                                align_corners=False)
        return outputs.permute(0, 2, 3, 1) if channels_last else outputs

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


@keras_export("layers.UpSampling3D")
class UpSampling3D(_UpSampling):
    _rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)
