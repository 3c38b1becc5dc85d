"""ActivityRegularization: an identity layer that adds `l1 * sum(|x|) + l2 * sum(x**2)` of its
output (divided by the batch size, as every activity regularizer) to the model's losses."""

from lamina import regularizers
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export


@keras_export("layers.ActivityRegularization")
class ActivityRegularization(Layer):
    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)  # always built from l1 and l2
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config_dict = super().get_config()
        config_dict.pop("activity_regularizer", None)
        return {**config_dict, "l1": self.l1, "l2": self.l2}
