"""LayerNormalization: normalize each sample over `axis` (the features), then scale and shift.

Same math as `torch.nn.LayerNorm` with Keras's defaults (`epsilon=1e-3`, not 1e-5), and `axis`
may name any set of axes, not only trailing ones.
"""

import warnings

import torch
import torch.nn.functional as F

from lamina import constraints, initializers, regularizers
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.normalization import axes as axes_lib
from lamina.registry.export import keras_export
from lamina.registry.serialization import serialize_keras_object
from lamina.utils.arguments import check_positive_number


@keras_export("layers.LayerNormalization")
class LayerNormalization(Layer):
    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, rms_scaling=False, **kwargs):
        if rms_scaling:
            warnings.warn(
                "LayerNormalization(rms_scaling=True) is deprecated in Keras 3: it scales by "
                "the variance, not the root mean square. Use RMSNormalization instead.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and all(_is_int(a) for a in axis):
            axis = list(axis)
        elif not _is_int(axis):
            raise TypeError(
                f"LayerNormalization() expects `axis` to be an int or a list/tuple of ints. "
                f"Received: axis={axis!r}"
            )
        self.axis = axis
        self.epsilon = check_positive_number(epsilon, "epsilon", "LayerNormalization()")
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self._plans = {}

    def build(self, input_shape):
        axes_lib.positive_axes(self.axis, len(input_shape), self)
        # Keras's order: the axes as given, sorted (weights follow that order).
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        shape = tuple(axes_lib.known_dim(input_shape, a, self) for a in self.axis)
        self.gamma = self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                shape=shape, name="gamma", initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                shape=shape, name="beta", initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
            )
        self.input_spec = InputSpec(axes=dict(zip(self.axis, shape)))
        self.built = True

    def call(self, inputs):
        x = axes_lib.at_least_float32(inputs)
        axes, trailing, broadcast = self._plan(x)
        gamma = None if self.gamma is None else self.gamma.to(x.dtype)
        beta = None if self.beta is None else self.beta.to(x.dtype)
        if self.rms_scaling:
            variance = torch.var(x, dim=axes, correction=0, keepdim=True)
            outputs = x * torch.rsqrt(variance + self.epsilon)
            if gamma is not None:
                outputs = outputs * gamma.reshape(broadcast)
        elif trailing:
            normalized = x.shape[len(x.shape) - len(axes):]
            outputs = F.layer_norm(
                x, normalized, None if gamma is None else gamma.reshape(normalized),
                None if beta is None else beta.reshape(normalized), self.epsilon,
            )
        else:
            variance, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
            inverse = torch.rsqrt(variance + self.epsilon)
            if gamma is not None:
                inverse = inverse * gamma.reshape(broadcast)
            shift = -mean * inverse
            if beta is not None:
                shift = shift + beta.reshape(broadcast)
            outputs = x * inverse + shift
        return outputs.to(inputs.dtype) if outputs.dtype != inputs.dtype else outputs

    def _plan(self, x):
        """(positive axes, whether they are the trailing ones, the weights' broadcast shape)."""
        plan = self._plans.get(x.ndim)
        if plan is None:
            axes = axes_lib.positive_axes(self.axis, x.ndim, self)
            broadcast = [1] * x.ndim
            for axis in axes:
                broadcast[axis] = x.shape[axis]
            plan = (axes, axes_lib.is_trailing(axes, x.ndim), broadcast)
            self._plans[x.ndim] = plan
        return plan

    def compute_output_shape(self, input_shape):
        return axes_lib.check_output_axes(self, input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": serialize_keras_object(self.beta_initializer),
            "gamma_initializer": serialize_keras_object(self.gamma_initializer),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint),
        }


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)
