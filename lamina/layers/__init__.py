"""`lamina.layers`: the layer classes.

Names resolve lazily (PEP 562) so that low-level modules (`lamina.layers.keras_tensor`, used by
`lamina.ops`) can be imported without importing every layer, which would be circular.
"""

import importlib

_NAMES = {
    "Activation": "lamina.layers.activations.activation",
    "Dense": "lamina.layers.core.dense",
    "Embedding": "lamina.layers.core.embedding",
    "Input": "lamina.layers.core.input_layer",
    "InputLayer": "lamina.layers.core.input_layer",
    "Lambda": "lamina.layers.core.lambda_layer",
    "InputSpec": "lamina.layers.input_spec",
    "Layer": "lamina.layers.layer",
    "Dropout": "lamina.layers.regularization.dropout",
    "Flatten": "lamina.layers.reshaping.flatten",
    "Reshape": "lamina.layers.reshaping.reshape",
    "Conv1D": "lamina.layers.convolutional",
    "Conv2D": "lamina.layers.convolutional",
    "Conv3D": "lamina.layers.convolutional",
    "Conv1DTranspose": "lamina.layers.convolutional",
    "Conv2DTranspose": "lamina.layers.convolutional",
    "Conv3DTranspose": "lamina.layers.convolutional",
    "DepthwiseConv1D": "lamina.layers.convolutional",
    "DepthwiseConv2D": "lamina.layers.convolutional",
    "SeparableConv1D": "lamina.layers.convolutional",
    "SeparableConv2D": "lamina.layers.convolutional",
    "Convolution1D": "lamina.layers.convolutional",
    "Convolution2D": "lamina.layers.convolutional",
    "Convolution3D": "lamina.layers.convolutional",
    "Convolution1DTranspose": "lamina.layers.convolutional",
    "Convolution2DTranspose": "lamina.layers.convolutional",
    "Convolution3DTranspose": "lamina.layers.convolutional",
    "SeparableConvolution1D": "lamina.layers.convolutional",
    "SeparableConvolution2D": "lamina.layers.convolutional",
    "Deconvolution2D": "lamina.layers.convolutional",
    "Deconv2D": "lamina.layers.convolutional",
    "Deconvolution3D": "lamina.layers.convolutional",
    "Deconv3D": "lamina.layers.convolutional",
    "MaxPooling1D": "lamina.layers.pooling",
    "MaxPooling2D": "lamina.layers.pooling",
    "MaxPooling3D": "lamina.layers.pooling",
    "AveragePooling1D": "lamina.layers.pooling",
    "AveragePooling2D": "lamina.layers.pooling",
    "AveragePooling3D": "lamina.layers.pooling",
    "GlobalMaxPooling1D": "lamina.layers.pooling",
    "GlobalMaxPooling2D": "lamina.layers.pooling",
    "GlobalMaxPooling3D": "lamina.layers.pooling",
    "GlobalAveragePooling1D": "lamina.layers.pooling",
    "GlobalAveragePooling2D": "lamina.layers.pooling",
    "GlobalAveragePooling3D": "lamina.layers.pooling",
    "MaxPool1D": "lamina.layers.pooling",
    "MaxPool2D": "lamina.layers.pooling",
    "MaxPool3D": "lamina.layers.pooling",
    "AvgPool1D": "lamina.layers.pooling",
    "AvgPool2D": "lamina.layers.pooling",
    "AvgPool3D": "lamina.layers.pooling",
    "GlobalMaxPool1D": "lamina.layers.pooling",
    "GlobalMaxPool2D": "lamina.layers.pooling",
    "GlobalMaxPool3D": "lamina.layers.pooling",
    "GlobalAvgPool1D": "lamina.layers.pooling",
    "GlobalAvgPool2D": "lamina.layers.pooling",
    "GlobalAvgPool3D": "lamina.layers.pooling",
}
_ALIASES = {
    "serialize": ("lamina.saving.serialization", "serialize_layer"),
    "deserialize": ("lamina.saving.serialization", "deserialize_layer"),
}


def _all_modules():
    """Every module defining a layer (imported when a config names a layer class)."""
    return sorted(set(_NAMES.values()))


def __getattr__(name):
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    if name in _ALIASES:
        module, attribute = _ALIASES[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'lamina.layers' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_NAMES) | set(_ALIASES))
