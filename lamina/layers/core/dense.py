"""Dense: `output = activation(inputs @ kernel + bias)`; the kernel is stored as Keras does, (in, out)."""

import math

import torch
import torch.nn.functional as F

from lamina import activations, constraints, initializers, regularizers
from lamina.layers.input_spec import InputSpec
from lamina.layers.core.lora import LoraMixin
from lamina.layers.layer import Layer
from lamina.quantizers import float8_training
from lamina.quantizers import layer_quantization as lq
from lamina.registry.export import keras_export
from lamina.registry.serialization import serialize_keras_object
from lamina.utils.arguments import check_bool, rename_legacy_kwargs


@keras_export("layers.Dense")
class Dense(LoraMixin, lq.QuantizableMixin, Layer):
    """`activation(inputs @ kernel + bias)`.

    After `quantize("int8")` the kernel is int8 (`kernel`, `kernel_scale` of shape (units,))
    and, by default, each input row is quantized to int8 too, so the product is an exact int8
    matmul rescaled by both scales; after `quantize("int4")`, two int4 values per byte of the
    kernel (packed along the units), with per-group scales and zero points (`kernel_scale`,
    `kernel_zero`, `g_idx`) when the config's `block_size` is set (128 by default). After
    `quantize("float8")` the float kernel is still trained, on float8-rounded operands with
    delayed scaling (see lamina/quantizers/float8_training.py).
    """

    _serialization_spec = {None: ("kernel", "bias"), "int8": ("kernel", "bias", "kernel_scale"),
                           "int4": ("kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"),
                           "float8": ("kernel", "bias") + float8_training.FLOAT8_VARIABLES}

    def __init__(self, units=None, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        rename_legacy_kwargs(kwargs, {
            "output_dim": "units", "init": "kernel_initializer", "W_regularizer": "kernel_regularizer",
            "b_regularizer": "bias_regularizer", "W_constraint": "kernel_constraint",
            "b_constraint": "bias_constraint", "bias": "use_bias",
        }, "Dense()")
        units = kwargs.pop("units", units)
        activation = kwargs.pop("activation", activation)
        use_bias = kwargs.pop("use_bias", use_bias)
        kernel_initializer = kwargs.pop("kernel_initializer", kernel_initializer)
        kernel_regularizer = kwargs.pop("kernel_regularizer", kernel_regularizer)
        bias_regularizer = kwargs.pop("bias_regularizer", bias_regularizer)
        kernel_constraint = kwargs.pop("kernel_constraint", kernel_constraint)
        bias_constraint = kwargs.pop("bias_constraint", bias_constraint)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._init_lora(lora_rank, lora_alpha)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"Received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units!r}"
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = check_bool(use_bias, "use_bias", "Dense()")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.quantization_config = quantization_config
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True
        self._linear_activation = activations.serialize(self.activation) == "linear"

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'Layer "{self.name}" needs a known last input dimension; got input shape '
                f"{tuple(input_shape)}."
            )
        if self.quantization_mode is not None:  # built from a quantized policy (a saved model)
            self.quantized_build((input_dim, self.units), self.quantization_mode,
                                 self.quantization_config)
        if self.quantization_mode in (None, "float8"):  # (float8 trains the float kernel)
            self.kernel = self.add_weight(
                shape=(input_dim, self.units), initializer=self.kernel_initializer,
                name="kernel", regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer, name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True
        self._build_lora()

    def call(self, inputs):
        if self.quantization_mode is not None:
            return self._quantized_call(inputs)
        kernel = self._merged_matrix() if self.lora_enabled else self.kernel
        if inputs.dim() == 2:
            # One GEMM node for the (in, out) kernel as stored: F.linear would add a transpose
            # node to the autograd graph forward and backward (bitwise the same numbers).
            outputs = (torch.mm(inputs, kernel) if self.bias is None
                       else torch.addmm(self.bias, inputs, kernel))
        else:
            # F.linear wants (out, in); the transposed view costs nothing (BLAS reads it as is).
            outputs = F.linear(inputs, kernel.t(), self.bias)
        return outputs if self._linear_activation else self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize_keras_object(self.kernel_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        } | self._with_quantized_dtype({}) | self._lora_config({})

    # ------------------------------------------------------------------ quantization
    def _quantize_weights(self, mode, config):
        from lamina import quantizers

        self.quantization_config = config
        if mode == "float8":
            self.quantized_build(tuple(self.kernel.shape), mode, config)
            self._set_quantized_policy(mode, config)
            return
        kernel = self.kernel.detach()
        if mode == "int8":
            quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
                config, quantizers.AbsMaxQuantizer(axis=0))
        else:
            quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
                config, quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7)))
        assign = lq.quantized_kernel_values(kernel, mode, lq.int4_block_size(self, config), quantizer)
        self._drop_weight("kernel")
        self.quantized_build(tuple(kernel.shape), mode, config)
        self._assign_quantized(**assign)
        self._set_quantized_policy(mode, config)

    def quantized_build(self, kernel_shape, mode, config=None):
        """The quantized variables (Keras's names, shapes and dtypes), zero until assigned."""
        from lamina import quantizers

        input_dim, units = kernel_shape
        default_inputs_quantizer = quantizers.AbsMaxQuantizer() if mode == "int8" else None
        if mode not in ("int8", "int4", "float8"):
            raise NotImplementedError(
                f"lamina's Dense implements quantization modes 'int8', 'int4' and 'float8'; "
                f"layer '{self.name}' asks for {mode!r}."
            )
        if mode == "float8":
            float8_training.add_float8_variables(self)
            self._is_quantized = True
            return
        self.inputs_quantizer = quantizers.QuantizationConfig.activation_quantizer_or_default(
            config, default_inputs_quantizer)
        if mode == "int8":
            self._add_frozen_weight("kernel", kernel_shape, torch.int8)
            # _int_mm reads the right operand fastest column by column; the values and the
            # saved array are the same.
            self.kernel.data = lq.column_major(self.kernel.data)
            self._add_frozen_weight("kernel_scale", (units,), self.dtype, "ones")
        else:
            self._add_frozen_weight("kernel", (input_dim, (units + 1) // 2), torch.int8)
            block_size = self._int4_block_size = lq.int4_block_size(self, config)
            groups = None if block_size is None else math.ceil(input_dim / block_size)
            scale_shape = (units,) if groups is None else (groups, units)
            self._add_frozen_weight("kernel_scale", scale_shape, self.dtype, "ones")
            if groups is not None:
                self._add_frozen_weight("kernel_zero", scale_shape, torch.int8)
                self._add_frozen_weight("g_idx", (input_dim,), torch.float32)
                self.g_idx.copy_(torch.div(torch.arange(input_dim, dtype=torch.float32),
                                           block_size, rounding_mode="floor"))
        self._is_quantized = True

    _lora_quantized_modes = ("int8", "int4")  # QLoRA, as in Keras

    def _lora_shapes(self, rank):
        input_dim = self.kernel.shape[0]  # (an int4 kernel is packed along the units)
        return (input_dim, rank), (rank, self.units)

    def _lora_saved_values(self):
        """Float: the merged kernel. int8 / int4: the dequantized kernel plus the update,
        quantized again with new scales (and zero points), as Keras saves a QLoRA layer."""
        from lamina import quantizers

        mode = self.quantization_mode
        if mode is None:
            return super()._lora_saved_values()
        with torch.no_grad():
            a, b = self.lora_kernel_a, self.lora_kernel_b
            merged = self._dequantized_kernel() + (
                self.lora_alpha / self.lora_rank) * torch.matmul(a, b).to(self.kernel_scale.dtype)
            quantizer = quantizers.AbsMaxQuantizer(
                axis=0, value_range=(-127, 127) if mode == "int8" else (-8, 7))
            return lq.quantized_kernel_values(merged, mode, getattr(self, "_int4_block_size", None),
                                     quantizer)

    def _quantized_call(self, inputs):
        if self.quantization_mode == "float8":
            if self.lora_enabled:
                raise NotImplementedError("Currently, float8 layers don't support LoRA.")
            return float8_training.float8_call(self, inputs, torch.matmul)
        float_kernel = self._dequantized_kernel
        if self.quantization_mode == "int8":
            outputs = self._scaled_matmul(inputs, self.kernel, self.kernel_scale)
        elif getattr(self, "_int4_block_size", None) is None:
            kernel = _unpack(self.kernel, self.units)
            outputs = self._scaled_matmul(inputs, kernel, self.kernel_scale)
        else:
            outputs = torch.matmul(inputs, float_kernel().to(inputs.dtype))
        outputs = self._straight_through(outputs, inputs, float_kernel, torch.matmul)
        if self.lora_enabled:
            outputs = outputs + self._lora_update(inputs)
        if self.bias is not None:
            outputs = outputs + self.bias
        return outputs if self._linear_activation else self.activation(outputs)

    def _scaled_matmul(self, inputs, kernel, kernel_scale):
        """`inputs @ kernel` for an int kernel with one scale per unit; with an inputs
        quantizer, an exact int8 product divided by both scales (as Keras computes it)."""
        if self.inputs_quantizer:
            quantized, inputs_scale = self.inputs_quantizer(inputs, axis=-1)
            if quantized.dtype == torch.int8:
                product = lq.int8_matmul(quantized, kernel)
            else:
                product = torch.matmul(quantized.to(torch.float64), kernel.to(torch.float64))
            outputs = product.to(inputs.dtype)  # a new tensor: divide it in place
            return outputs.div_(kernel_scale * inputs_scale)
        return torch.matmul(inputs, kernel.to(inputs.dtype)) / kernel_scale

    def _dequantized_kernel(self):
        """The float kernel the quantized one stands for (used for gradients)."""
        if self.quantization_mode == "int8":
            return self.kernel.to(self.kernel_scale.dtype) / self.kernel_scale
        kernel = _unpack(self.kernel, self.units).to(self.kernel_scale.dtype)
        if getattr(self, "_int4_block_size", None) is None:
            return kernel / self.kernel_scale
        return lq.dequantize_with_groups(kernel, self.kernel_scale, self.kernel_zero, self.g_idx,
                                         group_axis=0)


def _unpack(packed, length):
    from lamina.quantizers import unpack_int4

    return unpack_int4(packed, length, axis=-1)

