"""Activation: applies an activation function (by name or callable) to its input."""

from lamina import activations
from lamina.layers.layer import Layer
from lamina.saving.object_registry import register_builtin


@register_builtin("layers")
class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
