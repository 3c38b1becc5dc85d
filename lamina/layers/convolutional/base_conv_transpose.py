"""The N-d transposed convolution shared by Conv1DTranspose/2D/3D.

Keras defines the output window through its JAX backend's explicit (left, right) padding, which
can differ from what PyTorch's symmetric `padding` + right-side `output_padding` give (for
kernel 3, stride 2, "same", torch's usual `padding=1, output_padding=1` is shifted by one pixel).
The window is a fixed crop of torch's full output, known at construction: it is mapped onto
torch's `padding`/`output_padding`, and a slice does the rest.

Kernel layout (Keras): `(*kernel_size, filters, in_channels)`; torch wants `(in, filters, *k)`,
the same permutation as for the forward convolution.
"""

import torch.nn.functional as F

from lamina import activations, config, constraints, initializers, regularizers
from lamina.layers import padding as padding_utils
from lamina.layers.convolutional import keras1
from lamina.layers.convolutional.base_conv import (check_positive_int, input_channels,
                                                   torch_conv_kernel)
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.weight_memory_order import conv_kernel_order, store_in_memory_order
from lamina.registry.serialization import serialize_keras_object

CONV_TRANSPOSE_FUNCTIONS = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


class TransposePlan:
    """torch's `padding`/`output_padding` for one axis, plus what is left to slice off the end.

    With `output_padding < strides` (validated) Keras never crops less than nothing on the left,
    and never needs more than torch's largest `output_padding` on the right, so the window is
    always torch's output or torch's output minus a few trailing positions.
    """

    def __init__(self, crop_left, crop_right):
        self.padding = crop_left
        # torch's output on this axis ends `padding - output_padding` before the full output's end.
        self.output_padding = max(crop_left - crop_right, 0)
        self.trim_right = max(crop_right - crop_left, 0)


class BaseConvTranspose(Layer):
    rank = None

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        options = {
            "filters": filters, "kernel_size": kernel_size, "strides": strides,
            "padding": padding, "output_padding": output_padding, "data_format": data_format,
            "dilation_rate": dilation_rate, "activation": activation, "use_bias": use_bias,
            "kernel_initializer": kernel_initializer, "bias_initializer": bias_initializer,
            "kernel_regularizer": kernel_regularizer, "bias_regularizer": bias_regularizer,
            "kernel_constraint": kernel_constraint, "bias_constraint": bias_constraint,
        }
        if "output_shape" in kwargs:  # Keras 1 Deconvolution2D required it; it is implied.
            kwargs.pop("output_shape")
            keras1.warn_ignored("output_shape", f"{type(self).__name__}()")
        options.update(keras1.translate_conv_kwargs(kwargs, self.rank, f"{type(self).__name__}()"))
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._set_options(**options)

    def _set_options(self, filters, kernel_size, strides, padding, output_padding, data_format,
                     dilation_rate, activation, use_bias, kernel_initializer, bias_initializer,
                     kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint):
        rank = self.rank
        filters = check_positive_int(filters, "filters")
        self.filters = filters
        self.kernel_size = padding_utils.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = padding_utils.normalize_tuple(strides, rank, "strides")
        self.dilation_rate = padding_utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = padding_utils.normalize_padding(padding)
        self.output_padding = None if output_padding is None else padding_utils.normalize_tuple(
            output_padding, rank, "output_padding", allow_zero=True)
        self.data_format = config.standardize_data_format(data_format)
        if self.output_padding is not None and any(
            p >= s for p, s in zip(self.output_padding, self.strides)
        ):
            raise ValueError(
                "Each value of `output_padding` must be strictly less than the matching "
                f"`strides` value. Received: output_padding={self.output_padding}, "
                f"strides={self.strides}."
            )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides > 1` cannot be combined with `dilation_rate > 1`. Received: "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}."
            )
        self.activation = activations.get(activation)
        self._linear_activation = activations.serialize(self.activation) == "linear"
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)
        self._plans = [
            TransposePlan(*padding_utils.transpose_crops(k, s, self.padding, p, d))
            for k, s, p, d in zip(self.kernel_size, self.strides,
                                  self.output_padding or (None,) * rank, self.dilation_rate)
        ]
        self._needs_trim = any(plan.trim_right for plan in self._plans)

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, channels), initializer=self.kernel_initializer,
            name="kernel", regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        store_in_memory_order(self.kernel, conv_kernel_order(
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
        y = CONV_TRANSPOSE_FUNCTIONS[self.rank](
            x, torch_conv_kernel(self.kernel), self.bias, self.strides,
            tuple(plan.padding for plan in self._plans),
            tuple(plan.output_padding for plan in self._plans), 1, self.dilation_rate,
        )
        if self._needs_trim:
            y = y[(slice(None), slice(None)) + tuple(
                slice(0, y.shape[2 + i] - plan.trim_right) for i, plan in enumerate(self._plans)
            )]
        y = padding_utils.from_channels_first(y, self.data_format)
        return y if self._linear_activation else self.activation(y)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        last = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if last else input_shape[2:]
        sizes = tuple(
            padding_utils.transpose_output_size(n, k, s, self.padding, p, d)
            for n, k, s, p, d in zip(spatial, self.kernel_size, self.strides,
                                     self.output_padding or (None,) * self.rank,
                                     self.dilation_rate)
        )
        if last:
            return (input_shape[0],) + sizes + (self.filters,)
        return (input_shape[0], self.filters) + sizes

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize_keras_object(self.kernel_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        }

