"""Concatenate: join a list of tensors along `axis`; every other axis must match."""

import torch

from lamina.layers.merging.base_merge import Merge, _format_all
from lamina.registry.export import keras_export


@keras_export("layers.Concatenate")
class Concatenate(Merge):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Concatenate(): `axis` must be an int. Received: axis={axis!r}")
        self.axis = axis

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        shapes = self._check_shape_list(input_shape)
        ranks = {len(s) for s in shapes}
        rank = len(shapes[0])
        if len(ranks) > 1 or not -rank <= self.axis < rank:
            raise ValueError(self._mismatch_message(shapes))
        axis = self.axis % rank
        output = list(shapes[0])
        for shape in shapes[1:]:
            for i, (a, b) in enumerate(zip(output, shape)):
                if i != axis and a is not None and b is not None and a != b:
                    raise ValueError(self._mismatch_message(shapes))
                if i != axis and a is None:
                    output[i] = b
            output[axis] = None if output[axis] is None or shape[axis] is None else (
                output[axis] + shape[axis]
            )
        return tuple(output)

    def _mismatch_message(self, shapes):
        return (
            f'Layer "{self.name}" (Concatenate) needs inputs of the same rank whose shapes match '
            f"on every axis except the concatenation axis ({self.axis}). Received shapes "
            f"{_format_all(shapes)}."
        )

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            self._check_shape_list(tuple(inputs.shape))
        try:
            return torch.cat(list(inputs), dim=self.axis)
        except (RuntimeError, IndexError):
            self.compute_output_shape([tuple(x.shape) for x in inputs])
            raise

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = torch.ones(x.shape, dtype=torch.bool, device=x.device)
            elif m.ndim < x.ndim:
                m = m.unsqueeze(-1).expand(x.shape)
            masks.append(m.to(torch.bool))
        return torch.cat(masks, dim=self.axis).any(dim=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@keras_export("layers.concatenate", package=False)
def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`: `concatenate([a, b], axis=-1)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
