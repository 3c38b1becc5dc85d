"""Where an EinsumDense's quantization scales live: which axes of the input and of the kernel
are summed over (they get one scale per remaining position), and how a scale computed with
`keepdims` on the input's (or kernel's) axes is moved onto the output's axes so it divides the
einsum's result.

The layout follows Keras exactly, so a `kernel_scale` saved by Keras has the shape lamina
expects and the reverse. Keras derives it from the equation in one pass; a quirk of that pass
(when a tensor has more summed axes than the output has axes missing from it, the extra axis is
placed where the previous one went) is kept on purpose, since it decides saved shapes.
"""

import re
import string
from dataclasses import dataclass

import torch


@dataclass
class ScaleLayout:
    """How a keepdims scale of one operand (input or kernel) maps onto the output's axes."""

    reduced_axes: list  # the operand's axes summed over by the einsum
    transpose_axes: list  # permutation of the scale's axes, in output order
    expand_axes: list  # then new size-1 axes at these positions
    squeeze_axes: list  # then these axes dropped

    def to_output(self, scale):
        """A keepdims scale (reduced axes of size 1) laid out to broadcast against the output."""
        if self.transpose_axes:
            scale = scale.permute(*self.transpose_axes)
        for axis in sorted(self.expand_axes):
            scale = scale.unsqueeze(axis)
        if self.squeeze_axes:
            scale = scale.squeeze(tuple(self.squeeze_axes))
        return scale

    def from_output(self, scale):
        """The inverse of `to_output`: the scale back with the operand's axes."""
        for axis in sorted(self.squeeze_axes):
            scale = scale.unsqueeze(axis)
        if self.expand_axes:
            scale = scale.squeeze(tuple(self.expand_axes))
        if self.transpose_axes:
            inverse = sorted(range(len(self.transpose_axes)), key=self.transpose_axes.__getitem__)
            scale = scale.permute(*inverse)
        return scale

    def scale_shape(self, shape):
        """The shape `to_output` gives a keepdims scale of an operand of `shape`."""
        keepdims = [1 if i in self.reduced_axes else int(d) for i, d in enumerate(shape)]
        return tuple(self.to_output(torch.empty(keepdims, device="meta")).shape)


def _specs(equation, input_ndim):
    """The three subscripts of `equation` with any "..." spelled out as fresh letters."""
    replaced = equation.replace("...", "0")
    plain = re.match(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", replaced)
    if plain:
        return plain.groups()
    for pattern, left in ((r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", True),
                          (r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", False)):
        match = re.match(pattern, replaced)
        if match:
            inputs, kernel, outputs = match.groups()
            free = sorted(set(string.ascii_letters) - set(inputs + kernel + outputs))
            fill = "".join(free[:input_ndim - len(inputs)])
            if left:
                return fill[::-1] + inputs, kernel, fill[::-1] + outputs
            return inputs + fill, kernel, outputs + fill
    raise ValueError(
        f"Invalid einsum equation {equation!r}: expected the form 'X,Y->Z', '...X,Y->...Z' or "
        "'X...,Y->Z...' (X, Y, Z strings of letters)."
    )


def analyze(equation, input_ndim):
    """`(input_layout, kernel_layout, gradient_equation)` of an EinsumDense equation."""
    input_spec, kernel_spec, output_spec = _specs(equation, input_ndim)
    # Keras carries one position variable through the whole derivation; an operand with more
    # summed axes than missing output axes reuses its last value (see the module docstring).
    position = [None]
    layouts = []
    specs = (input_spec, kernel_spec)
    reduced = [[i for i, label in enumerate(spec) if label not in output_spec] for spec in specs]
    for spec in specs:
        for label in spec:
            position[0] = output_spec.find(label)
    expand = [[i for i, label in enumerate(output_spec) if label not in spec] for spec in specs]
    transpose = [[spec.index(label) for label in output_spec if label in spec] for spec in specs]
    for which in range(2):
        squeeze = []
        for axis in reduced[which]:
            if expand[which]:
                position[0] = expand[which].pop(0)
            else:
                squeeze.append(axis)
            transpose[which].insert(position[0], axis)
        layouts.append(ScaleLayout(reduced[which], transpose[which], expand[which], squeeze))
    gradient_equation = f"{output_spec},{kernel_spec}->{input_spec}"
    return layouts[0], layouts[1], gradient_equation
