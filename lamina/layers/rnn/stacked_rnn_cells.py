"""StackedRNNCells: several cells acting as one; each step feeds one cell's output to the next.

`RNN([cell_a, cell_b])` wraps its list in this. Its state is the list of the cells' states.
"""

import torch

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.registry.serialization import deserialize_keras_object, serialize_keras_object
from lamina.utils import tree


@keras_export("layers.StackedRNNCells")
class StackedRNNCells(Layer):
    def __init__(self, cells=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(
                f"StackedRNNCells() needs a non-empty list of cells. Received: cells={cells!r}"
            )
        for cell in cells:
            if not callable(getattr(cell, "call", None)) or getattr(cell, "state_size", None) \
                    is None:
                raise ValueError(
                    "Every cell of StackedRNNCells needs a `call(inputs, states)` method and a "
                    f"`state_size` attribute. Received: {cell!r}"
                )
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            own = getattr(cell, "get_initial_state", None)
            if own is not None:
                states.append(own(batch_size=batch_size))
            else:
                sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else \
                    [cell.state_size]
                states.append([torch.zeros((batch_size, s), dtype=self._torch_dtype)
                               for s in sizes])
        return states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_with_shapes(tuple(input_shape))
            input_shape = (input_shape[0], _output_size(cell))
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            nested = tree.is_nested(cell_states)
            cell_states = list(cell_states) if nested else [cell_states]
            if isinstance(cell, Layer):
                inputs, cell_states = cell(inputs, cell_states, training=training)
            else:
                inputs, cell_states = cell.call(inputs, cell_states)
            if not tree.is_nested(cell_states):
                cell_states = [cell_states]
            new_states.append(list(cell_states) if nested else cell_states[0])
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(),
                "cells": [serialize_keras_object(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["cells"] = [
            deserialize_keras_object(c, package="layers", custom_objects=custom_objects,
                                     what="RNN cell")
            for c in config["cells"]
        ]
        return super().from_config(config)


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size
