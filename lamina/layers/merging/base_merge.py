"""Merge: the base of layers that combine a list of tensors element by element.

Broadcasting follows Keras, not numpy: inputs of lower rank get new axes right *after the batch
axis* (`(batch, 5)` with `(batch, 3, 5)` -> `(batch, 1, 5)`), then size-1 axes broadcast.
Masks: the output mask is the OR of the input masks when every input has one.
"""

import torch

from lamina.layers.layer import Layer


class Merge(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    # ------------------------------------------------------------------ shapes
    def build(self, input_shape):
        shapes = self._check_shape_list(input_shape)
        self._merged_shape(shapes)
        self.built = True

    def compute_output_shape(self, input_shape):
        return self._merged_shape(self._check_shape_list(input_shape))

    def _check_shape_list(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(
            isinstance(s, (list, tuple)) for s in input_shape
        ):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) must be called on a list of '
                f"tensors, e.g. `{type(self).__name__}()([x1, x2])`. Received one input of shape "
                f"{_format(input_shape)}."
            )
        batch_sizes = {s[0] for s in input_shape if len(s)} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) cannot merge tensors with '
                f"different batch sizes. Received shapes {_format_all(input_shape)}."
            )
        return [tuple(s) for s in input_shape]

    def _merged_shape(self, shapes):
        """Keras's elementwise rule on the non-batch axes; ValueError naming the layer."""
        batch = next((s[0] for s in shapes if len(s) and s[0] is not None), None)
        merged = tuple(shapes[0][1:])
        for shape in shapes[1:]:
            merged = self._broadcast_pair(merged, tuple(shape[1:]), shapes)
        return (batch,) + merged

    def _broadcast_pair(self, first, second, shapes):
        if len(first) < len(second):
            first, second = second, first
        result = list(first[: len(first) - len(second)])
        for a, b in zip(first[len(first) - len(second):], second):
            if a is None or b is None:
                result.append(None)
            elif a == 1 or b == 1 or a == b:
                result.append(b if a == 1 else a)
            else:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}) cannot merge inputs of shapes '
                    f"{_format_all(shapes)}: sizes {a} and {b} neither match nor broadcast (one "
                    "of them must be 1). Reshape the inputs so that their shapes agree."
                )
        return tuple(result)

    # ------------------------------------------------------------------ the call
    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            self._check_shape_list(tuple(inputs.shape))  # raises the "list of tensors" error
        inputs = list(inputs)
        if len({x.ndim for x in inputs}) > 1:
            inputs = _align_ranks(inputs)
            mask = None  # Keras: masks do not survive the rank alignment
        try:
            return self._merge_function(inputs, mask)
        except RuntimeError:
            self._merged_shape([tuple(x.shape) for x in inputs])  # the readable error, if shapes
            raise

    def _merge_function(self, inputs, masks):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects one mask per input (a '
                f"list of {len(inputs)} masks or None). Received: mask={mask!r}"
            )
        if any(m is None for m in mask):
            return None
        output_mask = mask[0]
        for m in mask[1:]:
            output_mask = torch.logical_or(output_mask, m)
        return output_mask


def _align_ranks(inputs):
    """New axes after the batch axis until every input has the largest rank."""
    rank = max(x.ndim for x in inputs)
    aligned = []
    for x in inputs:
        if x.ndim < rank:
            x = x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:])
        aligned.append(x)
    return aligned


def expanded_masks(inputs, masks):
    """Each input's mask (or None) broadcast to the input's shape, as Keras's masked merges do."""
    if masks is None:
        return [None] * len(inputs)
    return [None if m is None else _broadcast_mask(m, x) for x, m in zip(inputs, masks)]


def _broadcast_mask(mask, x):
    # A (batch, steps) mask of a (batch, steps, features) tensor covers every feature.
    mask = mask.unsqueeze(-1) if mask.ndim < x.ndim else mask
    return mask.expand(x.shape).to(torch.bool)


def _format(shape):
    if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in shape):
        return str(tuple(shape))
    return str(shape)


def _format_all(shapes):
    return ", ".join(_format(s) for s in shapes)
