"""The depthwise convolution shared by DepthwiseConv1D/2D: each input channel gets its own
`depth_multiplier` filters, and output channel `c * depth_multiplier + m` is filter m of channel c.

Keras stores the kernel as `(*kernel_size, in_channels, depth_multiplier)`; torch expresses the
same operation as a grouped convolution (groups = in_channels) with weight
`(in_channels * depth_multiplier, 1, *kernel_size)`, whose output channel order is the same.
"""

from lamina import activations, config, constraints, initializers, regularizers
from lamina.layers import padding as padding_utils
from lamina.layers.convolutional import keras1
from lamina.layers.convolutional.base_conv import (check_positive_int, conv_output_shape,
                                                   convolve, input_channels)
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.weight_memory_order import depthwise_kernel_order, store_in_memory_order
from lamina.registry.serialization import serialize_keras_object


def torch_depthwise_kernel(kernel):
    """Keras `(*k, in, multiplier)` -> torch `(in * multiplier, 1, *k)`, as a view."""
    rank = kernel.ndim - 2
    flat = kernel.reshape(kernel.shape[:rank] + (-1,))
    return flat.permute(rank, *range(rank)).unsqueeze(1)


class BaseDepthwiseConv(Layer):
    rank = None

    def __init__(self, kernel_size=None, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        options = {
            "kernel_size": kernel_size, "strides": strides, "padding": padding,
            "depth_multiplier": depth_multiplier, "data_format": data_format,
            "dilation_rate": dilation_rate, "activation": activation, "use_bias": use_bias,
            "depthwise_initializer": depthwise_initializer, "bias_initializer": bias_initializer,
            "depthwise_regularizer": depthwise_regularizer, "bias_regularizer": bias_regularizer,
            "depthwise_constraint": depthwise_constraint, "bias_constraint": bias_constraint,
        }
        options.update(keras1.translate_conv_kwargs(
            kwargs, self.rank, f"{type(self).__name__}()", weight="depthwise"))
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._set_options(**options)

    def _set_options(self, kernel_size, strides, padding, depth_multiplier, data_format,
                     dilation_rate, activation, use_bias, depthwise_initializer,
                     bias_initializer, depthwise_regularizer, bias_regularizer,
                     depthwise_constraint, bias_constraint):
        rank = self.rank
        depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier")
        self.depth_multiplier = depth_multiplier
        self.kernel_size = padding_utils.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = padding_utils.normalize_tuple(strides, rank, "strides")
        self.dilation_rate = padding_utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = padding_utils.normalize_padding(padding)
        self.data_format = config.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self._linear_activation = activations.serialize(self.activation) == "linear"
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.compute_output_shape(input_shape)  # rejects a kernel larger than the input
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, name="kernel",
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint,
        )
        store_in_memory_order(self.kernel, depthwise_kernel_order(self.rank))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(channels * self.depth_multiplier,), initializer=self.bias_initializer,
                name="bias", regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        axis = -1 if self.data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def call(self, inputs):
        x = padding_utils.to_channels_first(inputs, self.data_format)
        y = convolve(x, torch_depthwise_kernel(self.kernel), self.bias, self.strides,
                     self.padding, self.dilation_rate, groups=x.shape[1])
        y = padding_utils.from_channels_first(y, self.data_format)
        return y if self._linear_activation else self.activation(y)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        channels = None if channels is None else channels * self.depth_multiplier
        return conv_output_shape(self, input_shape, channels, self.kernel_size)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": serialize_keras_object(self.depthwise_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "depthwise_regularizer": serialize_keras_object(self.depthwise_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "depthwise_constraint": serialize_keras_object(self.depthwise_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        }
