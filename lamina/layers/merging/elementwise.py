"""Elementwise merges: Add, Subtract, Multiply, Average, Maximum, Minimum, and their functional
forms (`lamina.layers.add([a, b])` builds an `Add` layer and calls it).

Masked inputs (Multiply, Maximum, Minimum): a masked-out position takes no part in the result
(1 for a product, the other inputs' value for max/min), as in Keras.
"""

import torch

from lamina.layers.merging.base_merge import Merge, expanded_masks
from lamina.registry.export import keras_export


@keras_export("layers.Add")
class Add(Merge):
    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


@keras_export("layers.Subtract")
class Subtract(Merge):
    def build(self, input_shape):
        super().build(input_shape)
        self._check_two(len(input_shape))

    def _merge_function(self, inputs, masks):
        self._check_two(len(inputs))
        return inputs[0] - inputs[1]

    def _check_two(self, count):
        if count != 2:
            raise ValueError(
                f'Layer "{self.name}" (Subtract) takes exactly 2 inputs, `inputs[0] - '
                f"inputs[1]`. Received {count} inputs."
            )


@keras_export("layers.Average")
class Average(Merge):
    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


@keras_export("layers.Multiply")
class Multiply(Merge):
    def _merge_function(self, inputs, masks):
        masks = expanded_masks(inputs, masks)
        every_input_masked = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                x = torch.where(mask, x, torch.ones((), dtype=x.dtype, device=x.device))
                if every_input_masked:
                    output_mask = mask if output_mask is None else output_mask | mask
            output = x if output is None else output * x
        if every_input_masked:
            output = torch.where(output_mask, output, torch.zeros((), dtype=output.dtype,
                                                                  device=output.device))
        return output


class _MaskedExtremum(Merge):
    """Maximum / Minimum: masked positions of one input defer to the other inputs."""

    _op = None

    def _merge_function(self, inputs, masks):
        output, output_mask = None, None
        for x, mask in zip(inputs, expanded_masks(inputs, masks)):
            if output is None:
                output, output_mask = x, mask
                continue
            if mask is not None:
                x = torch.where(mask, x, output)
            if output_mask is not None:
                output = torch.where(output_mask, output, x)
            both = mask is not None and output_mask is not None
            output_mask = output_mask | mask if both else None
            output = type(self)._op(output, x)
        return output


@keras_export("layers.Maximum")
class Maximum(_MaskedExtremum):
    _op = torch.maximum


@keras_export("layers.Minimum")
class Minimum(_MaskedExtremum):
    _op = torch.minimum


@keras_export("layers.add", package=False)
def add(inputs, **kwargs):
    """Functional form of `Add`: `add([a, b])` is `Add()([a, b])`."""
    return Add(**kwargs)(inputs)


@keras_export("layers.subtract", package=False)
def subtract(inputs, **kwargs):
    """Functional form of `Subtract`: `inputs[0] - inputs[1]`."""
    return Subtract(**kwargs)(inputs)


@keras_export("layers.multiply", package=False)
def multiply(inputs, **kwargs):
    """Functional form of `Multiply`."""
    return Multiply(**kwargs)(inputs)


@keras_export("layers.average", package=False)
def average(inputs, **kwargs):
    """Functional form of `Average`."""
    return Average(**kwargs)(inputs)


@keras_export("layers.maximum", package=False)
def maximum(inputs, **kwargs):
    """Functional form of `Maximum`."""
    return Maximum(**kwargs)(inputs)


@keras_export("layers.minimum", package=False)
def minimum(inputs, **kwargs):
    """Functional form of `Minimum`."""
    return Minimum(**kwargs)(inputs)
