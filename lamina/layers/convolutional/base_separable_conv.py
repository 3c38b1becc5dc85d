"""The separable convolution shared by SeparableConv1D/2D: a depthwise convolution (strides,
padding and dilation apply here) followed by a 1x1 pointwise convolution that mixes channels,
with the bias added after the pointwise step.

Weights (Keras layout): `depthwise_kernel (*kernel_size, in, depth_multiplier)`,
`pointwise_kernel (1, ..., in * depth_multiplier, filters)`, `bias (filters,)`.
"""

from lamina import activations, config, constraints, initializers, regularizers
from lamina.layers import padding as padding_utils
from lamina.layers.convolutional import keras1
from lamina.layers.convolutional.base_conv import (CONV_FUNCTIONS, check_positive_int,
                                                   conv_output_shape, convolve, input_channels,
                                                   torch_conv_kernel)
from lamina.layers.convolutional.base_depthwise_conv import torch_depthwise_kernel
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.weight_memory_order import (conv_kernel_order, depthwise_kernel_order,
                                               store_in_memory_order)
from lamina.registry.serialization import serialize_keras_object


class BaseSeparableConv(Layer):
    rank = None

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                 bias_constraint=None, **kwargs):
        options = {
            "filters": filters, "kernel_size": kernel_size, "strides": strides,
            "padding": padding, "data_format": data_format, "dilation_rate": dilation_rate,
            "depth_multiplier": depth_multiplier, "activation": activation, "use_bias": use_bias,
            "depthwise_initializer": depthwise_initializer,
            "pointwise_initializer": pointwise_initializer, "bias_initializer": bias_initializer,
            "depthwise_regularizer": depthwise_regularizer,
            "pointwise_regularizer": pointwise_regularizer, "bias_regularizer": bias_regularizer,
            "depthwise_constraint": depthwise_constraint,
            "pointwise_constraint": pointwise_constraint, "bias_constraint": bias_constraint,
        }
        options.update(keras1.translate_conv_kwargs(
            kwargs, self.rank, f"{type(self).__name__}()", weight=None))
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._set_options(**options)

    def _set_options(self, filters, kernel_size, strides, padding, data_format, dilation_rate,
                     depth_multiplier, activation, use_bias, depthwise_initializer,
                     pointwise_initializer, bias_initializer, depthwise_regularizer,
                     pointwise_regularizer, bias_regularizer, depthwise_constraint,
                     pointwise_constraint, bias_constraint):
        rank = self.rank
        filters = check_positive_int(filters, "filters")
        depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier")
        self.filters = filters
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
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.compute_output_shape(input_shape)  # rejects a kernel larger than the input
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, name="depthwise_kernel",
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, name="pointwise_kernel",
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint,
        )
        store_in_memory_order(self.depthwise_kernel, depthwise_kernel_order(self.rank))
        store_in_memory_order(self.pointwise_kernel, conv_kernel_order(
            self.rank, self.data_format == "channels_last"))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer, name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        axis = -1 if self.data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def call(self, inputs):
        x = padding_utils.to_channels_first(inputs, self.data_format)
        depthwise = convolve(x, torch_depthwise_kernel(self.depthwise_kernel), None, self.strides,
                             self.padding, self.dilation_rate, groups=x.shape[1])
        y = CONV_FUNCTIONS[self.rank](depthwise, torch_conv_kernel(self.pointwise_kernel),
                                      self.bias)
        y = padding_utils.from_channels_first(y, self.data_format)
        return y if self._linear_activation else self.activation(y)

    def compute_output_shape(self, input_shape):
        return conv_output_shape(self, input_shape, self.filters, self.kernel_size)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": serialize_keras_object(self.depthwise_initializer),
            "pointwise_initializer": serialize_keras_object(self.pointwise_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "depthwise_regularizer": serialize_keras_object(self.depthwise_regularizer),
            "pointwise_regularizer": serialize_keras_object(self.pointwise_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "depthwise_constraint": serialize_keras_object(self.depthwise_constraint),
            "pointwise_constraint": serialize_keras_object(self.pointwise_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        }
