"""RMSNormalization: divide each sample by the root mean square over `axis`, times `scale`.

`x * rsqrt(mean(x**2, axis) + epsilon) * scale` (no centering), as `torch.nn.RMSNorm`.
"""

import torch
import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.layers.normalization import axes as axes_lib
from lamina.registry.export import keras_export


@keras_export("layers.RMSNormalization")
class RMSNormalization(Layer):
    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        axes_lib.positive_axes(self.axis, len(input_shape), self)
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        shape = tuple(axes_lib.known_dim(input_shape, a, self) for a in self.axis)
        self.scale = self.add_weight(shape=shape, name="scale", initializer="ones")
        self.built = True

    def call(self, inputs):
        x = axes_lib.at_least_float32(inputs)
        axes = axes_lib.positive_axes(self.axis, x.ndim, self)
        scale = self.scale.to(x.dtype)
        if axes_lib.is_trailing(axes, x.ndim):
            normalized = x.shape[x.ndim - len(axes):]
            outputs = F.rms_norm(x, normalized, scale.reshape(normalized), self.epsilon)
        else:
            broadcast = [x.shape[d] if d in axes else 1 for d in range(x.ndim)]
            mean_square = x.square().mean(dim=axes, keepdim=True)
            outputs = x * torch.rsqrt(mean_square + self.epsilon) * scale.reshape(broadcast)
        return outputs.to(inputs.dtype) if outputs.dtype != inputs.dtype else outputs

    def compute_output_shape(self, input_shape):
        return axes_lib.check_output_axes(self, input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
