"""The convolution layers; also the Keras 2 module path `keras.layers.convolutional`.

Keras 2 code imports from here (`from keras.layers.convolutional import Conv2D, MaxPooling2D`),
so the pooling layers are re-exported as Keras 2 did, and the Keras 2 padding/cropping/upsampling
layers that lived in this module resolve lazily through `lamina.layers`.
"""

import importlib

from lamina.layers.convolutional.conv import Conv1D as Conv1D
from lamina.layers.convolutional.conv import Conv2D as Conv2D
from lamina.layers.convolutional.conv import Conv3D as Conv3D
from lamina.layers.convolutional.conv_transpose import Conv1DTranspose as Conv1DTranspose
from lamina.layers.convolutional.conv_transpose import Conv2DTranspose as Conv2DTranspose
from lamina.layers.convolutional.conv_transpose import Conv3DTranspose as Conv3DTranspose
from lamina.layers.convolutional.depthwise_conv import DepthwiseConv1D as DepthwiseConv1D
from lamina.layers.convolutional.depthwise_conv import DepthwiseConv2D as DepthwiseConv2D
from lamina.layers.convolutional.legacy_names import Convolution2D as Convolution2D
from lamina.layers.convolutional.legacy_names import Convolution3D as Convolution3D
from lamina.layers.convolutional.legacy_names import Deconv2D as Deconv2D
from lamina.layers.convolutional.legacy_names import Deconv3D as Deconv3D
from lamina.layers.convolutional.legacy_names import Deconvolution2D as Deconvolution2D
from lamina.layers.convolutional.legacy_names import Deconvolution3D as Deconvolution3D
from lamina.layers.convolutional.legacy_names import (
    SeparableConvolution2D as SeparableConvolution2D,
)
from lamina.layers.convolutional.separable_conv import SeparableConv1D as SeparableConv1D
from lamina.layers.convolutional.separable_conv import SeparableConv2D as SeparableConv2D

# Keras 3 plain aliases (same class object, no warning).
Convolution1D = Conv1D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D

# Keras 2 also exposed these from keras.layers.convolutional; they live in other families here
# and resolve on first use (importing them eagerly would make the packages import each other).
_OTHER_FAMILIES = {
    "AveragePooling1D": "lamina.layers.pooling", "AveragePooling2D": "lamina.layers.pooling",
    "AveragePooling3D": "lamina.layers.pooling", "MaxPooling1D": "lamina.layers.pooling",
    "MaxPooling2D": "lamina.layers.pooling", "MaxPooling3D": "lamina.layers.pooling",
    **dict.fromkeys(["UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D",
                     "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
                     "Cropping3D"], "lamina.layers"),
}


def __getattr__(name):
    if name in _OTHER_FAMILIES:
        return getattr(importlib.import_module(_OTHER_FAMILIES[name]), name)
    raise AttributeError(f"module 'lamina.layers.convolutional' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_OTHER_FAMILIES))
