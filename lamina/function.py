"""`lamina.Function`: a graph of KerasTensors (layers and ops) replayed on real tensors.

Like a functional model without the Layer / Model machinery: no weights of its own, no
training API; calling it runs the recorded operations in order on the values given for
`inputs`.
"""

import numpy as np
import torch

from lamina import config
from lamina.registry.export import keras_export
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.utils import tree


@keras_export("Function")
class Function:
    def __init__(self, inputs, outputs, name=None):
        self.name = name or "function"
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._inputs = tree.flatten(inputs)
        self._outputs = tree.flatten(outputs)
        for tensor in self._inputs + self._outputs:
            if not isinstance(tensor, KerasTensor):
                raise ValueError(
                    f"Function inputs and outputs must be KerasTensors; got {tensor!r}."
                )
        self._nodes = _ordered_nodes(self._inputs, self._outputs)

    @property
    def inputs(self):
        return self._inputs

    @property
    def outputs(self):
        return self._outputs

    @property
    def operations(self):
        """The layers / ops of the graph, in execution order."""
        seen, result = set(), []
        for node in self._nodes:
            if id(node.layer) not in seen:
                seen.add(id(node.layer))
                result.append(node.layer)
        return result

    def __call__(self, inputs):
        return self.call(inputs)

    def call(self, inputs):
        flat = tree.flatten(inputs) if tree.is_nested(inputs) else [inputs]
        if len(flat) != len(self._inputs):
            raise ValueError(
                f"Function {self.name!r} expects {len(self._inputs)} input(s) with the structure "
                f"of its `inputs`; got {len(flat)}."
            )
        values = {id(t): _as_value(v, t) for t, v in zip(self._inputs, flat)}
        for node in self._nodes:
            args, kwargs = tree.map_structure(
                lambda x: values[id(x)] if isinstance(x, KerasTensor) else x,
                (node.call_args, node.call_kwargs))
            result = node.layer(*args, **kwargs)
            for tensor, value in zip(node.output_tensors, tree.flatten(result)):
                values[id(tensor)] = value
        return tree.pack_sequence_as(self._outputs_struct, [values[id(t)] for t in self._outputs])

    def compute_output_spec(self, inputs):
        """The outputs (KerasTensors) for symbolic `inputs`."""
        return self.call(inputs)

    def __repr__(self):
        return f"<Function name={self.name}, {len(self._inputs)} inputs, {len(self._outputs)} outputs>"


def _as_value(value, spec):
    if isinstance(value, (torch.Tensor, KerasTensor)):
        return value
    array = np.asarray(value)
    dtype = config.to_torch_dtype(spec.dtype) if getattr(spec, "dtype", None) else None
    return torch.as_tensor(array, dtype=dtype if array.dtype.kind in "fiub" else None)


def _ordered_nodes(inputs, outputs):
    """The nodes between `inputs` and `outputs`, each after the nodes feeding it."""
    input_ids = {id(t) for t in inputs}
    ordered, done = [], set()

    def visit(tensor, stack):
        if id(tensor) in input_ids:
            return
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            raise ValueError(
                f"Graph disconnected: {tensor} is needed to compute the outputs but is not one "
                "of the Function's inputs."
            )
        layer, node_index, _ = history
        node = layer._inbound_nodes[node_index]
        if id(node) in done:
            return
        if id(node) in stack:
            raise ValueError("The graph has a cycle.")
        if not node.input_tensors and type(layer).__name__ == "InputLayer":
            raise ValueError(
                f"Graph disconnected: {tensor} (an Input) is needed to compute the outputs but is "
                "not one of the Function's inputs."
            )
        stack.add(id(node))
        for parent in node.input_tensors:
            visit(parent, stack)
        stack.discard(id(node))
        done.add(id(node))
        ordered.append(node)

    for tensor in outputs:
        visit(tensor, set())
    return ordered
