"""RepeatVector: `(batch, features)` -> `(batch, n, features)`, the input repeated `n` times."""

from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export


@keras_export("layers.RepeatVector")
class RepeatVector(Layer):
    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"RepeatVector() expects an integer `n`. Received: n={n!r}")
        if n <= 0:
            raise ValueError(f"RepeatVector() expects a positive `n`. Received: n={n}")
        self.n = n
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs):
        # A broadcast view: no copy; gradients sum over the repeats as they should.
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
