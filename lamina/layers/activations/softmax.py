"""Softmax layer, with an optional mask: masked-out positions get a large negative logit before
the softmax (so they receive no probability) and exactly 0 after it, as in Keras."""

import torch

from lamina import activations
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.utils.arguments import check_axis


@keras_export("layers.Softmax")
class Softmax(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        check_axis(axis, "axis", "Softmax()")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = self._check_mask(inputs, mask)
            inputs = torch.where(mask, inputs, _large_negative(inputs.dtype))
        axis = self.axis[0] if isinstance(self.axis, list) and len(self.axis) == 1 else self.axis
        outputs = activations.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = torch.where(mask, outputs, 0.0)
        return outputs

    def _check_mask(self, inputs, mask):
        broadcastable = mask.ndim <= inputs.ndim and all(
            m in (1, i) for m, i in zip(reversed(mask.shape), reversed(inputs.shape))
        )
        if not broadcastable:
            raise ValueError(
                f'Layer "{self.name}" (Softmax) needs a mask that broadcasts to its inputs (each '
                f"mask axis 1 or equal to the input's, aligned from the right). Received "
                f"inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}."
            )
        # Keras reads a non-boolean mask as "keep where > 0.5" (e.g. a 0/1 float mask).
        return mask if mask.dtype == torch.bool else mask > 0.5

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _large_negative(dtype):
    # Large enough to vanish after exp, small enough not to overflow half precision.
    return -3e4 if dtype == torch.float16 else -1e9
