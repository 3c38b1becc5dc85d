"""TimeDistributed: apply a layer to every timestep of `(batch, time, ...)` inputs.

The timesteps are folded into the batch axis, `(batch * time, ...)`, so the wrapped layer runs
once on one big batch (one kernel launch instead of one per timestep), and its output is
unfolded again. Layers whose result depends on the batch as a whole (BatchNormalization in
training) see batch statistics over all timesteps together.
"""

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.registry.serialization import deserialize_layer, serialize_layer


@keras_export("layers.TimeDistributed")
class TimeDistributed(Layer):
    def __init__(self, layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "TimeDistributed() wraps a lamina layer instance, e.g. "
                f"TimeDistributed(Dense(8)). Received: layer={layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _step_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f'Layer "{self.name}" (TimeDistributed) needs inputs with at least 3 '
                f"dimensions (batch, time, ...), but received input shape {input_shape}."
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        step_shape = self._step_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer._build_with_shapes(step_shape)
        self.built = True

    def call(self, inputs, training=None, mask=None):
        batch_size, timesteps = inputs.shape[0], inputs.shape[1]
        kwargs = {"training": training}
        if mask is not None and self.layer._call_has_mask:
            if mask.shape[:2] != inputs.shape[:2]:
                raise ValueError(
                    f'The mask given to layer "{self.name}" has shape {tuple(mask.shape)}, but '
                    f"its first two axes must match the inputs' (batch, time) = "
                    f"{tuple(inputs.shape[:2])}."
                )
            kwargs["mask"] = mask.reshape(batch_size * timesteps, *mask.shape[2:])
        outputs = self.layer(inputs.reshape(batch_size * timesteps, *inputs.shape[2:]), **kwargs)
        return outputs.reshape(batch_size, timesteps, *outputs.shape[1:])

    def compute_output_shape(self, input_shape):
        step_output = self.layer.compute_output_shape(self._step_shape(tuple(input_shape)))
        return (step_output[0], input_shape[1], *step_output[1:])

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects=custom_objects)
        return super().from_config(config)
