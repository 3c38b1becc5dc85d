"""Old class names that read the Keras 1 call form.

`Convolution2D`, `Convolution3D` and `SeparableConvolution2D` are plain aliases in Keras 3, and
behave so here, silently, for Keras 3 arguments. They also accept the Keras 1 positional kernel
form (`Convolution2D(64, 3, 3)` = a 3x3 kernel), with a DeprecationWarning, because old code means
that and Keras 3 would silently read the third number as `strides`.

`Deconvolution2D`/`Deconv2D`/`Deconvolution3D`/`Deconv3D` were Keras 1/2 names of the transposed
convolutions and are gone from Keras 3: they always warn.

Calling one of these classes returns an instance of the modern class (`Conv2D`, ...), so configs,
saved files and `type(layer)` are exactly what Keras 3 produces. (`isinstance(layer,
Convolution2D)` is therefore False; test against `Conv2D`.)
"""

import warnings

from lamina.layers.convolutional import keras1
from lamina.layers.convolutional.conv import Conv2D, Conv3D
from lamina.layers.convolutional.conv_transpose import Conv2DTranspose, Conv3DTranspose
from lamina.layers.convolutional.separable_conv import SeparableConv2D
from lamina.registry.export import keras_export
from lamina.utils.arguments import user_stacklevel


def _construct(modern, args, kwargs, rank, where):
    return modern(*keras1.split_positional_kernel(args, kwargs, rank, where), **kwargs)


@keras_export("layers.Convolution2D")
class Convolution2D(Conv2D):
    def __new__(cls, *args, **kwargs):
        return _construct(Conv2D, args, kwargs, 2, "Convolution2D()")


@keras_export("layers.Convolution3D")
class Convolution3D(Conv3D):
    def __new__(cls, *args, **kwargs):
        return _construct(Conv3D, args, kwargs, 3, "Convolution3D()")


@keras_export("layers.SeparableConvolution2D")
class SeparableConvolution2D(SeparableConv2D):
    def __new__(cls, *args, **kwargs):
        return _construct(SeparableConv2D, args, kwargs, 2, "SeparableConvolution2D()")


def _construct_transpose(modern, args, kwargs, rank, old_name):
    where = f"{old_name}()"
    warnings.warn(f"`{old_name}` is a Keras 1/2 name; use `{modern.__name__}` instead.",
                  DeprecationWarning, stacklevel=user_stacklevel())
    kernel_end = rank + 1
    if len(args) == kernel_end + 1 and isinstance(args[kernel_end], (tuple, list)) and all(
        isinstance(a, int) for a in args[1:kernel_end]
    ):  # Keras 1: (filters, *kernel sizes, output_shape)
        keras1.warn_ignored("output_shape", where)
        args = args[:kernel_end]
    return _construct(modern, args, kwargs, rank, where)


@keras_export("layers.Deconvolution2D")
class Deconvolution2D(Conv2DTranspose):
    def __new__(cls, *args, **kwargs):
        return _construct_transpose(Conv2DTranspose, args, kwargs, 2, "Deconvolution2D")


@keras_export("layers.Deconv2D")
class Deconv2D(Conv2DTranspose):
    def __new__(cls, *args, **kwargs):
        return _construct_transpose(Conv2DTranspose, args, kwargs, 2, "Deconv2D")


@keras_export("layers.Deconvolution3D")
class Deconvolution3D(Conv3DTranspose):
    def __new__(cls, *args, **kwargs):
        return _construct_transpose(Conv3DTranspose, args, kwargs, 3, "Deconvolution3D")


@keras_export("layers.Deconv3D")
class Deconv3D(Conv3DTranspose):
    def __new__(cls, *args, **kwargs):
        return _construct_transpose(Conv3DTranspose, args, kwargs, 3, "Deconv3D")
