"""Flatten: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""

import math

import torch

from lamina import config
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export


@keras_export("layers.Flatten")
class Flatten(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = config.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            # Keras flattens channels_first data in channels_last order, so weights transfer.
            inputs = inputs.movedim(1, -1)
        return torch.flatten(inputs, start_dim=1) if inputs.ndim > 1 else inputs.unsqueeze(1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
