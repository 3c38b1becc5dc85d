"""EinsumDense: `activation(einsum(equation, inputs, kernel) + bias)`, Keras's layer.

The equation has one of three forms: `"X,Y->Z"`, `"...X,Y->...Z"` (leading axes elided) or
`"X...,Y->Z..."` (trailing axes elided), with X, Y, Z strings of letters. `output_shape` gives
the output's sizes without the batch axis and without elided axes (`None` for a size the input
decides). The kernel's axes are Y's letters: an axis that is also in Z takes its size from
`output_shape`, otherwise from the input. The bias covers Z's axes from the first letter of
`bias_axes` onwards, with size 1 on the axes that are not in `bias_axes` (and on trailing elided
axes), so it broadcasts over the rest.
"""

import re

import torch

from lamina import activations, constraints, initializers, regularizers
from lamina.layers.attention.head_projection import _with_fan_axes
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
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
class EinsumDense(Layer):
    """A dense layer written as an einsum between the input and a kernel of any rank.

    Args:
        equation: `"ab,bc->ac"`, `"...b,bc->...c"`, `"abc,cd->abd"`, ... (see the module doc).
        output_shape: the output's sizes without the batch axis (an int for one axis); `None`
            where the input decides.
        activation: applied to the result (default: none).
        bias_axes: letters of the output axes that get a bias (default None: no bias).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: as for `Dense`.
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, **kwargs):
        super().__init__(**kwargs)
        if lora_rank is not None:
            raise NotImplementedError("EinsumDense(lora_rank=...) is not supported by lamina yet.")
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
        self._linear_activation = activations.serialize(self.activation) == "linear"

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_equation(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        self.input_spec = InputSpec(ndim=len(input_shape))
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

    def call(self, inputs):
        outputs = torch.einsum(self.equation, inputs, self.kernel)
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
            "quantization_config": None,
        }
