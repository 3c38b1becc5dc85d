"""PReLU: a leaky ReLU whose negative slope `alpha` is learned, one per input element.

`alpha` has the input's shape without the batch axis (Keras layout), with size 1 on
`shared_axes` (e.g. `shared_axes=[1, 2]` for images: one slope per channel). Keras initializes
it with zeros, so the layer starts as a plain ReLU (torch's PReLU starts at 0.25).
"""

import torch

from lamina import constraints, initializers, regularizers
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.registry.serialization import serialize_keras_object


@keras_export("layers.PReLU")
class PReLU(Layer):
    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [
                shared_axes]
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        shared = set(self.shared_axes or ())
        for axis in shared:
            if not isinstance(axis, int) or not 1 <= axis < ndim:
                raise ValueError(
                    f'Layer "{self.name}" (PReLU): shared_axes must name non-batch axes of the '
                    f"input (1 to {ndim - 1}); received shared_axes={self.shared_axes} for an "
                    f"input of shape {tuple(input_shape)}."
                )
        shape = [1 if axis in shared else input_shape[axis] for axis in range(1, ndim)]
        if None in shape:
            raise ValueError(
                f'Layer "{self.name}" (PReLU) needs a known size on every axis that does not '
                f"share its alpha; received input shape {tuple(input_shape)}. Share the unknown "
                "axes, e.g. shared_axes=[1] for sequences of any length."
            )
        self.alpha = self.add_weight(
            shape=shape, name="alpha", initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
        )
        self.input_spec = InputSpec(
            ndim=ndim, axes={a: input_shape[a] for a in range(1, ndim) if a not in shared}
        )
        self.built = True

    def call(self, inputs):
        return torch.where(inputs > 0, inputs, inputs * self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": serialize_keras_object(self.alpha_initializer),
            "alpha_regularizer": serialize_keras_object(self.alpha_regularizer),
            "alpha_constraint": serialize_keras_object(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
