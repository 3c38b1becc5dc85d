"""SpectralNormalization: keep the spectral norm of a wrapped layer's kernel near 1.

The wrapper owns one non-trainable vector `vector_u`, shape `(1, kernel.shape[-1])`, an estimate of
the kernel's leading right singular vector. In a training call it runs `power_iterations` steps
of the power method on the kernel seen as a matrix `W` of shape `(-1, kernel.shape[-1])`:

    v = normalize(u @ W.T);  u = normalize(v @ W);  sigma = v @ W @ u.T

stores the new `u`, writes `kernel / sigma` into the wrapped layer's kernel (as Keras assigns it),
then calls the wrapped layer. A kernel of zeros is left as it is. Inference calls only call the
wrapped layer.

As in Keras, the wrapper also tracks the kernel, so `weights` is `[kernel, vector_u, *the wrapped
layer's other weights]` and a Keras weights file stores `kernel` and `vector_u` under the wrapper.
"""

import torch

from lamina import config, initializers
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.registry.serialization import deserialize_layer, serialize_layer


def _l2_normalize(x):
    """`x / ||x||` over all elements, the norm bounded below by `epsilon()` (as Keras's
    `normalize(x, axis=None)`)."""
    inverse_norm = torch.rsqrt(x.square().sum()).clamp(max=1.0 / config.epsilon())
    return x * inverse_norm


@keras_export("layers.SpectralNormalization")
class SpectralNormalization(Layer):
    """Spectral normalization of the `kernel` (or `embeddings`) of a wrapped layer.

    Args:
        layer: a layer with a `kernel` (Dense, Conv2D, ...) or `embeddings` (Embedding) weight.
        power_iterations: power-method steps per training call (a positive integer, default 1).
    """

    def __init__(self, layer=None, power_iterations=1, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "SpectralNormalization() wraps a lamina layer instance, e.g. "
                f"SpectralNormalization(Dense(8)). Received: layer={layer!r}"
            )
        super().__init__(**kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) or \
                power_iterations <= 0:
            raise ValueError("`power_iterations` should be a positive integer. Received: "
                             f"power_iterations={power_iterations!r}")
        self.layer = layer
        self.power_iterations = power_iterations

    def build(self, input_shape):
        if not self.layer.built:
            self.layer._build_shapes = tuple(input_shape)  # its config gets a build_config
            self.layer._build_with_shapes(tuple(input_shape))
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if not isinstance(kernel, torch.Tensor):
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' "
                             "nor 'embeddings'")
        self.kernel = kernel  # registered here too (shared): Keras's wrapper tracks it
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]), name="vector_u", trainable=False,
            initializer=initializers.TruncatedNormal(stddev=0.02), dtype=kernel.dtype,
        )
        self.built = True

    @property
    def weights(self):
        # Keras order: the kernel (tracked by the wrapper first), vector_u, then the rest.
        found = super().weights
        kernel = self.__dict__.get("_parameters", {}).get("kernel")
        if kernel is None:
            return found
        return [kernel] + [w for w in found if w is not kernel]

    variables = weights

    def normalized_weights(self):
        """`(new vector_u, kernel / sigma)` after `power_iterations` power-method steps."""
        with torch.no_grad():
            matrix = self.kernel.reshape(-1, self.kernel_shape[-1])
            vector_u = self.vector_u
            for _ in range(self.power_iterations):
                vector_v = _l2_normalize(vector_u @ matrix.t())
                vector_u = _l2_normalize(vector_v @ matrix)
            sigma = (vector_v @ matrix) @ vector_u.t()
            kernel = (self.kernel / sigma).reshape(self.kernel_shape)
        return vector_u.to(self.vector_u.dtype), kernel.to(self.kernel.dtype)

    def call(self, inputs, training=None):
        if training:
            with torch.no_grad():
                if inputs.device.type == "meta" or bool((self.kernel != 0).any()):
                    vector_u, kernel = self.normalized_weights()
                    self.vector_u.copy_(vector_u)
                    self.kernel.copy_(kernel)
        outputs = self.layer(inputs)
        return outputs.to(inputs.dtype) if outputs.dtype != inputs.dtype else outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer),
                "power_iterations": self.power_iterations}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects=custom_objects)
        return super().from_config(config)
