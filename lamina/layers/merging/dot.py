"""Dot: per-sample dot product of two tensors along `axes` (Keras's `batch_dot`).

For `x` of shape `(batch, *a, k)` and `y` of shape `(batch, k, *b)` (after moving the contracted
axes), the output is `(batch, *a, *b)`; a result of shape `(batch,)` becomes `(batch, 1)`.
With `normalize=True` both inputs are L2-normalized first, giving cosine similarities.
"""

import torch

from lamina.layers.merging.base_merge import Merge, _format_all
from lamina.registry.export import keras_export

_NORMALIZE_EPSILON = 1e-7  # Keras caps 1 / norm at 1 / backend epsilon


@keras_export("layers.Dot")
class Dot(Merge):
    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(
                    "Dot() expects `axes` to be an int or a pair of ints (one axis per input). "
                    f"Received: axes={axes!r}"
                )
            axes = list(axes)
        elif not isinstance(axes, int):
            raise TypeError(
                f"Dot() expects `axes` to be an int or a list of 2 ints. Received: axes={axes!r}"
            )
        self.axes = axes
        self.normalize = bool(normalize)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def _pair_axes(self, ranks):
        axes = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        return [axis % rank if axis < 0 else axis for axis, rank in zip(axes, ranks)]

    def compute_output_shape(self, input_shape):
        shapes = self._check_shape_list(input_shape)
        if len(shapes) != 2:
            raise ValueError(
                f'Layer "{self.name}" (Dot) takes exactly 2 inputs. Received {len(shapes)} '
                f"inputs of shapes {_format_all(shapes)}."
            )
        first, second = shapes
        axes = self._pair_axes([len(first), len(second)])
        if min(len(first), len(second)) < 2 or 0 in axes or axes[0] >= len(first) or \
                axes[1] >= len(second):
            raise ValueError(
                f'Layer "{self.name}" (Dot) needs inputs of rank >= 2 and axes other than the '
                f"batch axis 0. Received shapes {_format_all(shapes)} with axes={self.axes}."
            )
        d1, d2 = first[axes[0]], second[axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f'Layer "{self.name}" (Dot) cannot take the dot product of inputs of shapes '
                f"{_format_all(shapes)}: axis {axes[0]} of the first has size {d1} but axis "
                f"{axes[1]} of the second has size {d2}."
            )
        output = [d for i, d in enumerate(first) if i != axes[0]]
        output += [d for i, d in enumerate(second) if i not in (0, axes[1])]
        return tuple(output) if len(output) > 1 else tuple(output) + (1,)

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            self.compute_output_shape([tuple(x.shape) for x in inputs] if isinstance(
                inputs, (list, tuple)) else tuple(inputs.shape))
        x, y = inputs
        axis_x, axis_y = self._pair_axes([x.ndim, y.ndim])
        if self.normalize:
            x, y = _l2_normalize(x, axis_x), _l2_normalize(y, axis_y)
        x = x.movedim(axis_x, -1)  # (batch, *a, k)
        y = y.movedim(axis_y, 1)  # (batch, k, *b)
        batch, a, b = x.shape[0], x.shape[1:-1], y.shape[2:]
        try:
            product = torch.bmm(x.reshape(batch, -1, x.shape[-1]), y.reshape(batch, y.shape[1], -1))
        except RuntimeError:
            self.compute_output_shape([tuple(t.shape) for t in inputs])
            raise
        output = product.reshape((batch,) + a + b)
        return output if output.ndim > 1 else output.unsqueeze(-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x, axis):
    squares = x.square().sum(dim=axis, keepdim=True)
    return x * torch.rsqrt(squares).clamp(max=1.0 / _NORMALIZE_EPSILON)


@keras_export("layers.dot", package=False)
def dot(inputs, axes=-1, **kwargs):
    """Functional form of `Dot`: `dot([a, b], axes=1)`."""
    return Dot(axes=axes, **kwargs)(inputs)
