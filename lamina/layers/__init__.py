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
    "BatchNormalization": "lamina.layers.normalization.batch_normalization",
    "LayerNormalization": "lamina.layers.normalization.layer_normalization",
    "GroupNormalization": "lamina.layers.normalization.group_normalization",
    "UnitNormalization": "lamina.layers.normalization.unit_normalization",
    "RMSNormalization": "lamina.layers.normalization.rms_normalization",
    "Add": "lamina.layers.merging.elementwise",
    "Subtract": "lamina.layers.merging.elementwise",
    "Multiply": "lamina.layers.merging.elementwise",
    "Average": "lamina.layers.merging.elementwise",
    "Maximum": "lamina.layers.merging.elementwise",
    "Minimum": "lamina.layers.merging.elementwise",
    "add": "lamina.layers.merging.elementwise",
    "subtract": "lamina.layers.merging.elementwise",
    "multiply": "lamina.layers.merging.elementwise",
    "average": "lamina.layers.merging.elementwise",
    "maximum": "lamina.layers.merging.elementwise",
    "minimum": "lamina.layers.merging.elementwise",
    "Concatenate": "lamina.layers.merging.concatenate",
    "concatenate": "lamina.layers.merging.concatenate",
    "Dot": "lamina.layers.merging.dot",
    "dot": "lamina.layers.merging.dot",
    "Permute": "lamina.layers.reshaping.permute",
    "RepeatVector": "lamina.layers.reshaping.repeat_vector",
    "Cropping1D": "lamina.layers.reshaping.cropping",
    "ZeroPadding1D": "lamina.layers.reshaping.zero_padding",
    "UpSampling1D": "lamina.layers.reshaping.up_sampling",
    "SpatialDropout1D": "lamina.layers.regularization.spatial_dropout",
    "Cropping2D": "lamina.layers.reshaping.cropping",
    "ZeroPadding2D": "lamina.layers.reshaping.zero_padding",
    "UpSampling2D": "lamina.layers.reshaping.up_sampling",
    "SpatialDropout2D": "lamina.layers.regularization.spatial_dropout",
    "Cropping3D": "lamina.layers.reshaping.cropping",
    "ZeroPadding3D": "lamina.layers.reshaping.zero_padding",
    "UpSampling3D": "lamina.layers.reshaping.up_sampling",
    "SpatialDropout3D": "lamina.layers.regularization.spatial_dropout",
    "GaussianNoise": "lamina.layers.regularization.gaussian_noise",
    "GaussianDropout": "lamina.layers.regularization.gaussian_dropout",
    "AlphaDropout": "lamina.layers.regularization.alpha_dropout",
    "ActivityRegularization": "lamina.layers.regularization.activity_regularization",
    "ReLU": "lamina.layers.activations.relu",
    "LeakyReLU": "lamina.layers.activations.leaky_relu",
    "PReLU": "lamina.layers.activations.prelu",
    "ELU": "lamina.layers.activations.elu",
    "Softmax": "lamina.layers.activations.softmax",
    "Masking": "lamina.layers.core.masking",
    "Identity": "lamina.layers.core.identity",
    "SimpleRNN": "lamina.layers.rnn.simple_rnn",
    "SimpleRNNCell": "lamina.layers.rnn.simple_rnn",
    "LSTM": "lamina.layers.rnn.lstm",
    "LSTMCell": "lamina.layers.rnn.lstm",
    "GRU": "lamina.layers.rnn.gru",
    "GRUCell": "lamina.layers.rnn.gru",
    "RNN": "lamina.layers.rnn.rnn",
    "StackedRNNCells": "lamina.layers.rnn.stacked_rnn_cells",
    "Bidirectional": "lamina.layers.rnn.bidirectional",
    "TimeDistributed": "lamina.layers.rnn.time_distributed",
    "MultiHeadAttention": "lamina.layers.attention.multi_head_attention",
    "Attention": "lamina.layers.attention.attention",
    "AdditiveAttention": "lamina.layers.attention.additive_attention",
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
    "CuDNNLSTM": ("lamina.layers.recurrent", "CuDNNLSTM"),
    "CuDNNGRU": ("lamina.layers.recurrent", "CuDNNGRU"),
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
