"""The dense projections inside MultiHeadAttention, with Keras's EinsumDense weight layouts.

- into heads: `(..., features) -> (..., heads, head_dim)`, kernel `(features, heads, head_dim)`,
  bias `(heads, head_dim)`;
- out of heads: `(..., heads, head_dim) -> (..., *output_shape)`, kernel
  `(heads, head_dim, *output_shape)`, bias `output_shape`.

Both are one matmul on a reshaped view of the kernel. Variance-scaling initializers count their
fans over the input and output axes of the kernel, as Keras's EinsumDense makes them do.
"""

import math

import torch.nn.functional as F

from lamina import initializers
from lamina.initializers.variance_scaling_initializers import VarianceScaling
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer


class HeadProjection(Layer):
    def __init__(self, heads_in, output_shape, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        """`heads_in`: whether the input ends in (heads, head_dim) (the output projection) or in
        features (the query/key/value projections). `output_shape`: the trailing output dims."""
        super().__init__(**kwargs)
        self.heads_in = heads_in
        self.partial_output_shape = tuple(output_shape)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    def build(self, input_shape):
        contracted = tuple(input_shape[-2:]) if self.heads_in else (input_shape[-1],)
        kernel_shape = contracted + self.partial_output_shape
        input_axes = list(range(len(contracted)))
        output_axes = list(range(len(contracted), len(kernel_shape)))
        self.kernel = self.add_weight(
            shape=kernel_shape, name="kernel",
            initializer=_with_fan_axes(self.kernel_initializer, input_axes, output_axes),
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.partial_output_shape, name="bias", initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        self._contracted = math.prod(contracted)
        axes = {-2: contracted[0], -1: contracted[1]} if self.heads_in else {-1: contracted[0]}
        self.input_spec = InputSpec(min_ndim=len(contracted) + 1, axes=axes)
        self.built = True

    def call(self, inputs):
        if self.heads_in:
            inputs = inputs.flatten(-2)
        weight = self.kernel.reshape(self._contracted, -1).t()
        bias = None if self.bias is None else self.bias.reshape(-1)
        return F.linear(inputs, weight, bias).unflatten(-1, self.partial_output_shape)

    def compute_output_shape(self, input_shape):
        kept = input_shape[:-2] if self.heads_in else input_shape[:-1]
        return tuple(kept) + self.partial_output_shape


def _with_fan_axes(initializer, input_axes, output_axes):
    if isinstance(initializer, VarianceScaling) and (
        initializer.input_axes is None or initializer.output_axes is None
    ):
        config = {**initializer.get_config(), "input_axes": input_axes,
                  "output_axes": output_axes}
        return type(initializer).from_config(config)
    return initializer
