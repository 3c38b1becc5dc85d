"""Pipeline: a plain layer that applies a list of layers one after the other.

Unlike `Sequential` it is not a model (no compile/fit, no input layer); it is meant for
preprocessing and augmentation, e.g. `Pipeline([RandomFlip(), RandomRotation(0.1)])`. Each
layer's output mask goes to the next layer, and so does `training`.

Training semantics are Keras's: a standalone call `pipeline(images)` runs in training mode
(augmentations apply), while inside a model called for inference (`model(x)`, `predict`,
`evaluate`) or with `training=False` they do not.
"""

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.registry.serialization import deserialize_layer, serialize_layer
from lamina.utils import tree


@keras_export("layers.Pipeline")
class Pipeline(Layer):
    """Applies `layers` in order.

    Args:
        layers: a list of layer instances.
        name: the layer's name.

    Example:
        augment = layers.Pipeline([layers.RandomFlip(), layers.RandomRotation(0.2)])
        images = augment(images)
    """

    _passes_strings = True  # text goes through to the first layer (e.g. a StringLookup)
    _accepts_integers = True

    def __init__(self, layers, name=None, **kwargs):
        if not isinstance(layers, (list, tuple)) or not all(
                isinstance(layer, Layer) for layer in layers):
            raise ValueError(
                "Pipeline expects a list of lamina layer instances, e.g. "
                f"Pipeline([layers.Rescaling(1 / 255)]). Received: layers={layers!r}"
            )
        super().__init__(name=name, **kwargs)
        self._layers = list(layers)  # a ModuleList: weight files name it `layers`, as Keras's
        self.training = True  # standalone calls run in training mode (see module docstring)
        self.built = True

    @property
    def layers(self):
        return list(self._layers)

    def call(self, inputs, training=True, mask=None):
        outputs = inputs
        for layer in self._layers:
            kwargs = {}
            if layer._call_has_mask and mask is not None:
                kwargs["mask"] = mask
            if layer._call_has_training and training is not None:
                kwargs["training"] = training
            outputs = layer(inputs, **kwargs)
            mask = tree.map_structure(lambda x: getattr(x, "_keras_mask", None), outputs)
            inputs = outputs
        return outputs

    def compute_output_spec(self, inputs, training=None, mask=None):
        """Each layer's symbolic output in turn, without recording graph nodes for them."""
        outputs = inputs
        for layer in self._layers:
            if not layer.built:
                layer._build_with_shapes(tree.map_structure(lambda x: x.shape, outputs))
            outputs = layer.compute_output_spec(outputs)
        return outputs

    def get_config(self):
        return {"layers": [serialize_layer(layer) for layer in self._layers], "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "A Pipeline config needs a `layers` entry: a list of serialized layers. "
                f"Received: layers={layers!r}"
            )
        config = dict(config)
        config["layers"] = [deserialize_layer(layer, custom_objects=custom_objects)
                            for layer in layers]
        return cls(**config)
