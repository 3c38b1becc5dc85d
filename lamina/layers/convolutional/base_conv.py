"""The N-d convolution shared by Conv1D/2D/3D, and the helpers the other convolution layers reuse.

Weights keep Keras's layout, kernel `(*kernel_size, in_channels // groups, filters)`, so
`get_weights()`/`set_weights()` and saved files exchange Keras arrays unchanged; `call` hands
torch a permuted *view* `(filters, in_channels // groups, *kernel_size)`.

Data is channels_last by default. Moving the channel axis to position 1 is a view too: for a
contiguous NHWC tensor that view is exactly torch's `channels_last` memory format, which cuDNN and
oneDNN convolve without copying, and whose output moves back to NHWC for free.
"""

import torch.nn.functional as F

from lamina import activations, config, constraints, initializers, regularizers
from lamina.layers import padding as padding_utils
from lamina.layers.convolutional import keras1
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.weight_memory_order import conv_kernel_order, store_in_memory_order
from lamina.registry.serialization import serialize_keras_object

CONV_FUNCTIONS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def torch_conv_kernel(kernel):
    """Keras `(*k, in, out)` -> torch `(out, in, *k)`, as a view."""
    rank = kernel.ndim - 2
    return kernel.permute(rank + 1, rank, *range(rank))


def convolve(x, weight, bias, strides, padding, dilation_rate, groups):
    """Convolve channels_first `x` with a torch-layout `weight`, Keras padding semantics."""
    spatial = x.shape[2:]
    if padding == "causal":
        x = F.pad(x, [(weight.shape[2] - 1) * dilation_rate[0], 0])
        pads = (0,)
    elif padding == "same":
        pairs = [padding_utils.same_padding(n, k, s, d) for n, k, s, d in
                 zip(spatial, weight.shape[2:], strides, dilation_rate)]
        if all(left == right for left, right in pairs):
            pads = tuple(left for left, _ in pairs)
        else:  # Keras puts the odd pixel at the end; torch's `padding=` cannot.
            x = F.pad(x, padding_utils.torch_pad_argument(pairs))
            pads = 0
    else:
        pads = 0
    return CONV_FUNCTIONS[x.ndim - 2](x, weight, bias, strides, pads, dilation_rate, groups)


def conv_output_shape(layer, input_shape, channels, kernel_size):
    """Keras's output shape for a strided convolution-like layer, with its error for a kernel
    larger than the (padded) input."""
    input_shape = tuple(input_shape)
    last = layer.data_format == "channels_last"
    spatial = input_shape[1:-1] if last else input_shape[2:]
    sizes = tuple(
        padding_utils.conv_output_size(n, k, s, layer.padding, d)
        for n, k, s, d in zip(spatial, kernel_size, layer.strides, layer.dilation_rate)
    )
    if any(size is not None and size <= 0 for size in sizes):
        raise ValueError(
            f'Layer "{layer.name}": the computed output size would be zero or negative: input '
            f"shape {input_shape}, kernel_size={tuple(kernel_size)}, strides={layer.strides}, "
            f"dilation_rate={layer.dilation_rate}, padding={layer.padding!r}. Use a smaller "
            'kernel or padding="same".'
        )
    return (input_shape[0],) + sizes + (channels,) if last else (input_shape[0], channels) + sizes


def input_channels(layer, input_shape):
    """The channel count from a build shape; it must be known to size the kernel."""
    channels = input_shape[-1] if layer.data_format == "channels_last" else input_shape[1]
    if channels is None:
        raise ValueError(
            f'Layer "{layer.name}" needs to know the number of input channels, but the channel '
            f"axis of input shape {tuple(input_shape)} is None ({layer.data_format})."
        )
    return int(channels)


def check_positive_int(value, name):
    """`value` as an int, or a ValueError naming the argument."""
    number = padding_utils.as_int(value)
    if number is None or number <= 0:
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected a strictly positive integer. "
            f"Received: {name}={value!r}"
        )
    return number


class BaseConv(Layer):
    """Conv1D/2D/3D: `activation(conv(inputs, kernel) + bias)`; subclasses set `rank`."""

    rank = None

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, **kwargs):
        options = {
            "filters": filters, "kernel_size": kernel_size, "strides": strides,
            "padding": padding, "data_format": data_format, "dilation_rate": dilation_rate,
            "groups": groups, "activation": activation, "use_bias": use_bias,
            "kernel_initializer": kernel_initializer, "bias_initializer": bias_initializer,
            "kernel_regularizer": kernel_regularizer, "bias_regularizer": bias_regularizer,
            "kernel_constraint": kernel_constraint, "bias_constraint": bias_constraint,
        }
        options.update(keras1.translate_conv_kwargs(kwargs, self.rank, f"{type(self).__name__}()"))
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if lora_rank is not None:
            raise NotImplementedError(f"{type(self).__name__}(lora_rank=...) is not supported yet.")
        self._set_options(**options)

    def _set_options(self, filters, kernel_size, strides, padding, data_format, dilation_rate,
                     groups, activation, use_bias, kernel_initializer, bias_initializer,
                     kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint):
        rank = self.rank
        filters = check_positive_int(filters, "filters")
        groups = check_positive_int(groups, "groups")
        if filters % groups:
            raise ValueError(
                "The number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={groups}, filters={filters}."
            )
        self.filters = filters
        self.groups = groups
        self.kernel_size = padding_utils.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = padding_utils.normalize_tuple(strides, rank, "strides")
        self.dilation_rate = padding_utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = padding_utils.normalize_padding(padding, allow_causal=rank == 1)
        self.data_format = config.standardize_data_format(data_format)
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

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        if channels % self.groups:
            raise ValueError(
                "The number of input channels must be evenly divisible by the number of groups. "
                f"Received groups={self.groups}, but the input has {channels} channels (full "
                f"input shape {tuple(input_shape)})."
            )
        self.compute_output_shape(input_shape)  # rejects a kernel larger than the input
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
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
        y = convolve(x, torch_conv_kernel(self.kernel), self.bias, self.strides, self.padding,
                     self.dilation_rate, self.groups)
        # The activation sees the user's layout (softmax over channels is axis -1 in Keras).
        y = padding_utils.from_channels_first(y, self.data_format)
        return y if self._linear_activation else self.activation(y)

    def compute_output_shape(self, input_shape):
        return conv_output_shape(self, input_shape, self.filters, self.kernel_size)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
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
