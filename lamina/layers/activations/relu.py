"""ReLU layer: `activations.relu` with Keras's optional ceiling, leak and threshold."""

from lamina import activations
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export


@keras_export("layers.ReLU")
class ReLU(Layer):
    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value, optional in (("max_value", max_value, True),
                                      ("negative_slope", negative_slope, False),
                                      ("threshold", threshold, False)):
            if (value is None and not optional) or (value is not None and value < 0):
                raise ValueError(
                    f"ReLU() expects `{name}` to be a non-negative number"
                    f"{' or None' if optional else ''}. Received: {name}={value!r}"
                )
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}
