"""EinsumDense: `activation(einsum(equation, inputs, kernel) + bias)`, Keras's layer.

The equation has one of three forms: `"X,Y->Z"`, `"...X,Y->...Z"` (leading axes elided) or
`"X...,Y->Z..."` (trailing axes elided), with X, Y, Z strings of letters. `output_shape` gives
the output's sizes without the batch axis and without elided axes (`None` for a size the input
decides). The kernel's axes are Y's letters: an axis that is also in Z takes its size from
`output_shape`, otherwise from the input. The bias covers Z's axes from the first letter of
`bias_axes` onwards, with size 1 on the axes that are not in `bias_axes` (and on trailing elided
axes), so it broadcasts over the rest.
"""

import math
import re

import torch

from lamina import activations, constraints, initializers, regularizers
from lamina.layers.attention.head_projection import _with_fan_axes
from lamina.layers.input_spec import InputSpec
from lamina.layers.core.lora import LoraMixin
from lamina.layers.layer import Layer
from lamina.quantizers import float8_training
from lamina.quantizers import layer_quantization as lq
from lamina.registry.export import keras_export
from lamina.registry.serialization import serialize_keras_object

_FORMS = (  # (pattern on the equation with "..." written as "0", which side is elided)
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), None),
    (re.compile(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)"), "left"),
    (re.compile(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0"), "right"),
)


def analyze_equation(equation, bias_axes, input_shape, output_shape):
    """`(kernel_shape, bias_shape or None, full_output_shape, kernel_input_axes,
    kernel_output_axes)` for an EinsumDense equation and input shape."""
    replaced = equation.replace("...", "0")
    for pattern, elided_side in _FORMS:
        match = pattern.match(replaced)
        if match:
            break
    else:
        raise ValueError(
            f"Invalid einsum equation {equation!r}: expected the form 'X,Y->Z', "
            "'...X,Y->...Z' or 'X...,Y->Z...' (X, Y, Z strings of letters)."
        )
    in_spec, kernel_spec, out_spec = match.groups()
    input_shape = list(input_shape)
    n_elided = len(input_shape) - len(in_spec)
    partial = [output_shape] if isinstance(output_shape, int) else list(output_shape)

    # The full output shape: batch, then elided leading axes, then the given sizes, then elided
    # trailing axes.
    full = [input_shape[0]]
    if n_elided > 0 and elided_side == "left":
        full += input_shape[1:n_elided]
    full += partial
    if n_elided > 0 and elided_side != "left":
        full += input_shape[len(input_shape) - n_elided:]

    offset = n_elided if elided_side == "left" else 0
    in_size = {letter: input_shape[i + offset] for i, letter in enumerate(in_spec)}
    out_position = {letter: i + offset for i, letter in enumerate(out_spec)}

    for letter, size in in_size.items():
        if letter in out_position:
            wanted = full[out_position[letter]]
            if wanted is not None and wanted != size:
                raise ValueError(
                    f"EinsumDense: the input and output sizes of axis {letter!r} differ: input "
                    f"size {size}, output size {wanted} (equation {equation!r}, input shape "
                    f"{tuple(input_shape)}, output_shape {tuple(partial)})."
                )
    for letter in out_spec:
        if letter not in in_spec and letter not in kernel_spec:
            raise ValueError(f"EinsumDense: output axis {letter!r} of {equation!r} is in neither "
                             "the input nor the kernel.")

    kernel_shape, input_axes, output_axes = [], [], []
    for i, letter in enumerate(kernel_spec):
        if letter in out_position:
            kernel_shape.append(full[out_position[letter]])
            output_axes.append(i)
        elif letter in in_size:
            kernel_shape.append(in_size[letter])
            input_axes.append(i)
        else:
            raise ValueError(f"EinsumDense: kernel axis {letter!r} of {equation!r} is in neither "
                             "the input nor the output, so its size is unknown.")

    bias_shape = None
    if bias_axes is not None:
        for letter in bias_axes:
            if letter not in out_spec:
                raise ValueError(f"EinsumDense: bias axis {letter!r} is not an output axis of "
                                 f"{equation!r}.")
        first = min(out_spec.index(letter) for letter in bias_axes)
        bias_shape = [full[out_position[letter]] if letter in bias_axes else 1
                      for letter in out_spec[first:]]
        if elided_side != "left":
            bias_shape += [1] * max(n_elided, 0)
    return kernel_shape, bias_shape, full, input_axes, output_axes


@keras_export("layers.EinsumDense")
class EinsumDense(LoraMixin, lq.QuantizableMixin, Layer):
    """A dense layer written as an einsum between the input and a kernel of any rank.

    Args:
        equation: `"ab,bc->ac"`, `"...b,bc->...c"`, `"abc,cd->abd"`, ... (see the module doc).
        output_shape: the output's sizes without the batch axis (an int for one axis); `None`
            where the input decides.
        activation: applied to the result (default: none).
        bias_axes: letters of the output axes that get a bias (default None: no bias).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: as for `Dense`.
        quantization_config: the `QuantizationConfig` a quantized layer was made with.

    `quantize("int8")` keeps the kernel in int8 with one scale per output position
    (`kernel_scale`, laid out on the output's axes as Keras lays it out) and by default
    quantizes the inputs over the summed axes; `quantize("int4")` flattens the kernel to
    (summed axes, other axes) and packs it two values per byte, as `Dense` does.
    """

    _serialization_spec = {None: ("kernel", "bias"), "int8": ("kernel", "bias", "kernel_scale"),
                           "int4": ("kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"),
                           "float8": ("kernel", "bias") + float8_training.FLOAT8_VARIABLES}

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.equation = equation
        self.partial_output_shape = ((output_shape,) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.quantization_config = quantization_config
        self._linear_activation = activations.serialize(self.activation) == "linear"

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_equation(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        self.input_spec = InputSpec(ndim=len(input_shape))
        if self.quantization_mode is not None:  # built from a quantized policy (a saved model)
            self.quantized_build(tuple(kernel_shape), self.quantization_mode,
                                 self.quantization_config)
        if self.quantization_mode in (None, "float8"):  # (float8 trains the float kernel)
            self.kernel = self.add_weight(
                shape=tuple(kernel_shape), name="kernel",
                initializer=_with_fan_axes(self.kernel_initializer, input_axes, output_axes),
                regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            )
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(
                shape=tuple(bias_shape), name="bias", initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        self.built = True
        self._build_lora()

    def call(self, inputs):
        if self.quantization_mode is not None:
            return self._quantized_call(inputs)
        kernel = self._merged_matrix() if self.lora_enabled else self.kernel
        outputs = torch.einsum(self.equation, inputs, kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return outputs if self._linear_activation else self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_equation(self.equation, self.bias_axes, input_shape,
                                      self.partial_output_shape)[2])

    def get_config(self):
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": serialize_keras_object(self.kernel_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        } | self._with_quantized_dtype({}) | self._lora_config({})

    # ------------------------------------------------------------------ quantization
    def _quantization_axes(self):
        from lamina.quantizers import einsum_axes

        if not hasattr(self, "_input_layout"):
            self._input_layout, self._kernel_layout, _ = einsum_axes.analyze(
                self.equation, self.input_spec.ndim)
        return self._input_layout, self._kernel_layout

    def _flat_kernel_shape(self, kernel_shape):
        """(rows, columns) of the int4 kernel: summed axes x the others (a plain reshape, as
        Keras does it)."""
        reduced = self._quantization_axes()[1].reduced_axes
        rows = math.prod(d for i, d in enumerate(kernel_shape) if i in reduced)
        return rows, math.prod(d for i, d in enumerate(kernel_shape) if i not in reduced)

    def _quantize_weights(self, mode, config):
        from lamina import quantizers

        self.quantization_config = config
        if mode == "float8":
            self.quantized_build(tuple(self.kernel.shape), mode, config)
            self._set_quantized_policy(mode, config)
            return
        _, kernel_layout = self._quantization_axes()
        kernel = self.kernel.detach()
        if mode == "int8":
            quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
                config, quantizers.AbsMaxQuantizer(axis=tuple(kernel_layout.reduced_axes)))
            values, scale = quantizer(kernel, to_numpy=True)
            assign = {"kernel": values, "kernel_scale": kernel_layout.to_output(scale)}
        else:
            flat = kernel.reshape(self._flat_kernel_shape(kernel.shape))
            assign = lq.quantized_kernel_values(
                flat, mode, lq.int4_block_size(self, config),
                quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7)))
        self._drop_weight("kernel")
        self.quantized_build(tuple(kernel.shape), mode, config)
        self._assign_quantized(**assign)
        self._set_quantized_policy(mode, config)

    def quantized_build(self, kernel_shape, mode, config=None):
        """The quantized variables (Keras's names, shapes and dtypes), zero until assigned."""
        from lamina import quantizers

        if mode not in ("int8", "int4", "float8"):
            raise NotImplementedError(
                f"lamina's EinsumDense implements quantization modes 'int8', 'int4' and "
                f"'float8'; layer '{self.name}' asks for {mode!r}."
            )
        if mode == "float8":
            float8_training.add_float8_variables(self)
            self._is_quantized = True
            return
        input_layout, kernel_layout = self._quantization_axes()
        default_inputs_quantizer = quantizers.AbsMaxQuantizer() if mode == "int8" else None
        self.inputs_quantizer = quantizers.QuantizationConfig.activation_quantizer_or_default(
            config, default_inputs_quantizer)
        self.quantization_axis = tuple(input_layout.reduced_axes)
        self.original_kernel_shape = tuple(kernel_shape)
        if mode == "int8":
            self._add_frozen_weight("kernel", kernel_shape, torch.int8)
            self._add_frozen_weight("kernel_scale", kernel_layout.scale_shape(kernel_shape),
                                    self.dtype, "ones")
        else:
            rows, columns = self._flat_kernel_shape(kernel_shape)
            self._int4_columns = columns
            self._add_frozen_weight("kernel", (rows, (columns + 1) // 2), torch.int8)
            block_size = self._int4_block_size = lq.int4_block_size(self, config)
            groups = None if block_size is None else math.ceil(rows / block_size)
            scale_shape = (columns,) if groups is None else (groups, columns)
            self._add_frozen_weight("kernel_scale", scale_shape, self.dtype, "ones")
            if groups is not None:
                self._add_frozen_weight("kernel_zero", scale_shape, torch.int8)
                self._add_frozen_weight("g_idx", (rows,), torch.float32)
                self.g_idx.copy_(torch.div(torch.arange(rows, dtype=torch.float32), block_size,
                                           rounding_mode="floor"))
        self._is_quantized = True

    def _quantized_call(self, inputs):
        if self.quantization_mode == "float8":
            return float8_training.float8_call(
                self, inputs, lambda x, kernel: torch.einsum(self.equation, x, kernel))
        input_layout, _ = self._quantization_axes()
        if self.quantization_mode == "int8" and self.inputs_quantizer:
            quantized, inputs_scale = self.inputs_quantizer(inputs, axis=self.quantization_axis)
            summed = math.prod(inputs.shape[a] for a in self.quantization_axis)
            outputs = lq.int8_einsum(self.equation, quantized, self.kernel, summed)
            outputs = outputs.to(inputs.dtype) / (
                input_layout.to_output(inputs_scale) * self.kernel_scale)
        elif self.quantization_mode == "int8":  # weight-only
            outputs = torch.einsum(self.equation, inputs, self.kernel.to(inputs.dtype))
            outputs = outputs / self.kernel_scale
        elif self.inputs_quantizer and getattr(self, "_int4_block_size", None) is None:
            quantized, inputs_scale = self.inputs_quantizer(inputs, axis=self.quantization_axis)
            outputs = torch.einsum(self.equation, quantized.to(inputs.dtype),
                                   self._dequantized_kernel().to(inputs.dtype))
            outputs = outputs / input_layout.to_output(inputs_scale)
        else:
            outputs = torch.einsum(self.equation, inputs,
                                   self._dequantized_kernel().to(inputs.dtype))
        outputs = self._straight_through(
            outputs, inputs, self._dequantized_kernel,
            lambda x, kernel: torch.einsum(self.equation, x, kernel.to(x.dtype)))
        if self.bias is not None:
            outputs = outputs + self.bias
        return outputs if self._linear_activation else self.activation(outputs)

    def _dequantized_kernel(self):
        """The float kernel (original shape) the quantized one stands for."""
        from lamina.quantizers import unpack_int4

        if self.quantization_mode == "int8":
            scale = self._quantization_axes()[1].from_output(self.kernel_scale)
            return self.kernel.to(scale.dtype) / scale
        kernel = unpack_int4(self.kernel, self._int4_columns, axis=-1).to(self.kernel_scale.dtype)
        if getattr(self, "_int4_block_size", None) is None:
            kernel = kernel / self.kernel_scale
        else:
            kernel = lq.dequantize_with_groups(kernel, self.kernel_scale, self.kernel_zero,
                                               self.g_idx, group_axis=0)
        return kernel.reshape(self.original_kernel_shape)
