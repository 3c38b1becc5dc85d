"""GroupNormalization: split the channels into `groups` and normalize each group of each sample.

`groups=-1` gives instance normalization (one channel per group), `groups=1` layer normalization
over channels and spatial axes. Channels are on `axis` (default -1, channels-last as in Keras);
channel `c` belongs to group `c // (channels // groups)`, exactly as in `torch.nn.GroupNorm`.
"""

import torch.nn.functional as F

from lamina import constraints, initializers, regularizers
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.normalization import axes as axes_lib
from lamina.registry.export import keras_export
from lamina.registry.serialization import serialize_keras_object


@keras_export("layers.GroupNormalization")
class GroupNormalization(Layer):
    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        valid = isinstance(groups, int) and not isinstance(groups, bool)
        if not valid or (groups <= 0 and groups != -1):
            raise ValueError(
                "GroupNormalization() expects `groups` to be a positive integer, or -1 for "
                f"instance normalization. Received: groups={groups!r}"
            )
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        channel_axis = axes_lib.positive_axes(self.axis, ndim, self)[0]
        channels = axes_lib.known_dim(input_shape, channel_axis, self)
        if self.groups == -1:
            self.groups = channels
        if channels < self.groups or channels % self.groups:
            raise ValueError(
                f'Layer "{self.name}" (GroupNormalization) cannot split {channels} channels '
                f"(axis {self.axis} of input shape {tuple(input_shape)}) into {self.groups} "
                "groups of equal size: the number of channels must be a multiple of `groups`."
            )
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                shape=(channels,), name="gamma", initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=(channels,), name="beta", initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
            )
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: channels})
        self._channel_axis = channel_axis
        self.built = True

    def call(self, inputs):
        x = axes_lib.at_least_float32(inputs)
        axis = self._channel_axis
        moved = x if axis == 1 else x.movedim(axis, 1)  # torch wants (N, C, ...)
        outputs = F.group_norm(
            moved, self.groups, None if self.gamma is None else self.gamma.to(x.dtype),
            None if self.beta is None else self.beta.to(x.dtype), self.epsilon,
        )
        outputs = outputs if axis == 1 else outputs.movedim(1, axis)
        return outputs.to(inputs.dtype) if outputs.dtype != inputs.dtype else outputs

    def compute_output_shape(self, input_shape):
        return axes_lib.check_output_axes(self, input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize_keras_object(self.beta_initializer),
            "gamma_initializer": serialize_keras_object(self.gamma_initializer),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint),
        }
