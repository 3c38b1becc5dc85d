"""Wrapper: the base class of layers that wrap another layer (TimeDistributed, Bidirectional).

It holds the wrapped layer as `self.layer` (so weight files name it `layer`, as Keras's do),
builds it with the wrapper's input shape unless the subclass knows better, and writes it into
the config as a nested layer config. On its own it applies the wrapped layer unchanged;
subclasses override `call` (and `build` when the wrapped layer sees other shapes).
"""

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.registry.serialization import deserialize_layer, serialize_layer


@keras_export("layers.Wrapper")
class Wrapper(Layer):
    """Base class of layer wrappers.

    Args:
        layer: the layer to wrap (a lamina layer instance).

    Example:
        class Twice(Wrapper):
            def call(self, inputs):
                return self.layer(self.layer(inputs))
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__} wraps a lamina layer instance, e.g. "
                f"{type(self).__name__}(layers.Dense(8)). Received: layer={layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._build_with_shapes(input_shape)
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return self.layer(inputs, *args, **kwargs)

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects=custom_objects)
        return super().from_config(config)
