"""Identity: returns its input unchanged (a placeholder layer); masks pass through."""

from lamina.layers.layer import Layer
from lamina.saving.object_registry import register_builtin


@register_builtin("layers")
class Identity(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs
