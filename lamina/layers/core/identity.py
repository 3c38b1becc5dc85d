"""Identity: returns its input unchanged (a placeholder layer); masks pass through."""

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export


@keras_export("layers.Identity")
class Identity(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs
