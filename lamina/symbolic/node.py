"""A Node is one call of a layer on symbolic tensors: the edge list of the functional graph."""

from lamina.symbolic.keras_tensor import KerasTensor
from lamina.utils import tree


class Node:
    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.input_tensors = [
            x for x in tree.flatten((call_args, call_kwargs)) if isinstance(x, KerasTensor)
        ]
        self.output_tensors = tree.flatten(outputs)
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for tensor_index, tensor in enumerate(self.output_tensors):
            tensor._keras_history = (layer, node_index, tensor_index)

    @property
    def parent_nodes(self):
        """The nodes that produced this node's inputs (InputLayer nodes included)."""
        parents = []
        for tensor in self.input_tensors:
            layer, node_index, _ = tensor._keras_history
            parents.append(layer._inbound_nodes[node_index])
        return parents

    def __repr__(self):
        return f"<Node layer={self.layer.name} inputs={len(self.input_tensors)}>"
