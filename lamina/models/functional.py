"""Functional models: `Model(inputs, outputs)` over the graph recorded by symbolic layer calls.

At construction the graph is walked once from the outputs back to the inputs and flattened into
an execution plan: a topologically ordered list of steps, each naming the layer and the integer
slots its inputs come from and its outputs go to. Running the model is then a plain loop over that
list with a Python list as the value store — no graph walking per call.
"""

import torch

from lamina.layers.core.input_layer import InputLayer
from lamina.models.model import Model
from lamina.registry.export import keras_export
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.utils import tree
from lamina.utils.arguments import rename_legacy_kwargs


@keras_export("models.Functional")
class Functional(Model):
    # How Keras 3 files name this class (it is not in Keras's public namespace).
    _keras_module = "keras.src.models.functional"
    _keras_registered_name = "Functional"
    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        rename_legacy_kwargs(kwargs, {"input": "inputs", "output": "outputs"}, "Model()")
        inputs = kwargs.pop("inputs", inputs)
        outputs = kwargs.pop("outputs", outputs)
        if inputs is None or outputs is None:
            raise ValueError("Model(inputs, outputs) needs both `inputs` and `outputs`.")
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._inputs_struct = _normalize_structure(inputs, "inputs")
        self._outputs_struct = _normalize_structure(outputs, "outputs")
        if not all(isinstance(t._keras_history[0], InputLayer)
                   for t in tree.flatten(self._inputs_struct)):
            # A sub-model cut out of a bigger graph (Keras: `Model(processed, conv)`).
            self._inputs_struct, self._outputs_struct = _cut_subgraph(
                self._inputs_struct, self._outputs_struct)
        self.inputs = tree.flatten(self._inputs_struct)
        self.outputs = tree.flatten(self._outputs_struct)
        for tensor in self.inputs:
            if not isinstance(tensor._keras_history[0], InputLayer):
                raise ValueError(
                    f"Model inputs must come from `lamina.Input(...)`; {tensor} was produced by "
                    f'layer "{tensor._keras_history[0].name}".'
                )
        self._nodes = _topological_nodes(self.inputs, self.outputs)
        # A plain list (not an nn.ModuleList): each layer is registered once, by name, below.
        self.__dict__["_graph_layers"] = _layers_by_depth(self.inputs, self.outputs)
        _check_unique_names(self._graph_layers)
        for layer in self._graph_layers:
            self._track_layer(layer)
        self._build_plan()
        self.input_names = [t._keras_history[0].name for t in self.inputs]
        self.output_names = [t._keras_history[0].name for t in self.outputs]
        if isinstance(self._outputs_struct, dict):
            self.output_names = list(self._outputs_struct)
        self._build_shapes = tree.map_structure(lambda t: t.shape, self._inputs_struct)
        self.built = True

    def _build_plan(self):
        slots = {}
        for tensor in self.inputs:
            slots.setdefault(id(tensor), len(slots))
        plan = []
        for node in self._nodes:
            layer = node.layer
            if isinstance(layer, InputLayer):
                continue
            for tensor in node.output_tensors:
                slots.setdefault(id(tensor), len(slots))
            simple = (len(node.call_args) == 1 and isinstance(node.call_args[0], KerasTensor)
                      and not node.call_kwargs)
            if simple:
                plan.append((layer, slots[id(node.call_args[0])], None, None,
                             [slots[id(t)] for t in node.output_tensors], node.outputs))
            else:  # the arguments with each symbolic tensor replaced by its slot
                args, kwargs = tree.map_structure(
                    lambda x: _Slot(slots[id(x)]) if isinstance(x, KerasTensor) else x,
                    (node.call_args, node.call_kwargs))
                plan.append((layer, None, args, kwargs,
                             [slots[id(t)] for t in node.output_tensors], node.outputs))
        # Slot numbers only: a plan keyed by id() would not survive copy.deepcopy(model).
        self._plan = plan
        self._num_slots = len(slots)
        self._input_slots = [slots[id(t)] for t in self.inputs]
        self._output_slots = [slots[id(t)] for t in self.outputs]

    @property
    def layers(self):
        """The graph's layers; ops applied to symbolic tensors (`x * 2`, `ops.concatenate`)
        are not among them, as in Keras 3 (they are in `_operations`)."""
        from lamina.layers.core.op_layer import OpLayer

        return [layer for layer in self._graph_layers if not isinstance(layer, OpLayer)]

    @property
    def operations(self):
        """Every step of the graph in order: its input layers, layers and the ops applied to
        symbolic tensors."""
        return self._operations

    @property
    def _operations(self):
        """Every step of the graph, layers and ops (Keras 3's name): what configs, clones and
        the summary walk."""
        return list(self._graph_layers)

    def _on_dtype_change(self, old, new):
        super()._on_dtype_change(old, new)
        _convert_input_dtypes(self.inputs, old, new)

    def call(self, inputs, training=None, mask=None):
        values = [None] * self._num_slots
        for slot, value in zip(self._input_slots, self._flatten_inputs(inputs)):
            values[slot] = value
        for layer, in_slot, args, kwargs, out_slots, out_struct in self._plan:
            if in_slot is not None:
                outputs = layer(values[in_slot])
            else:
                call_args, call_kwargs = tree.map_structure(
                    lambda x: values[x.index] if isinstance(x, _Slot) else x, (args, kwargs))
                outputs = layer(*call_args, **call_kwargs)
            if len(out_slots) == 1 and not tree.is_nested(out_struct):
                values[out_slots[0]] = outputs
            else:
                for slot, value in zip(out_slots, tree.flatten(outputs)):
                    values[slot] = value
        outputs = [values[s] for s in self._output_slots]
        if len(outputs) == 1 and isinstance(self._outputs_struct, list):
            return outputs[0]  # `outputs=[y]` gives `y`, as in Keras (its config keeps the list)
        return tree.pack_sequence_as(self._outputs_struct, outputs)

    def _flatten_inputs(self, inputs):
        """Match what the user passed to the model's inputs: one tensor, a list, or a dict."""
        expected = len(self.inputs)
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                keys = list(self._inputs_struct)
            else:
                keys = self.input_names
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError(
                    f'Model "{self.name}" expects inputs named {keys}; missing {missing}. '
                    f"Received keys: {list(inputs)}."
                )
            flat = [inputs[k] for k in keys]
        elif isinstance(inputs, (list, tuple)) and expected > 1:
            flat = list(inputs)
        else:
            flat = [inputs]
        if len(flat) != expected:
            raise ValueError(
                f'Model "{self.name}" expects {expected} input(s), but it received {len(flat)} '
                f"input tensors. Pass a list of {expected} arrays (or a dict keyed by "
                f"{self.input_names})."
            )
        return [as_input_tensor(x, t) for x, t in zip(flat, self.inputs)]

    def compute_output_shape(self, input_shape):
        return tree.map_structure(lambda t: t.shape, self._outputs_struct)

    def compute_output_spec(self, *args, **kwargs):
        from lamina.layers.layer import _meta_output_spec

        return _meta_output_spec(self, args, kwargs)

    @property
    def input_shape(self):
        return tree.map_structure(lambda t: t.shape, _unwrap_single(self._inputs_struct))

    @property
    def output_shape(self):
        return tree.map_structure(lambda t: t.shape, _unwrap_single(self._outputs_struct))

    @property
    def input(self):
        return _unwrap_single(self._inputs_struct)

    @property
    def output(self):
        return _unwrap_single(self._outputs_struct)

    def get_config(self):
        from lamina.models.functional_config import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from lamina.models.functional_config import functional_from_config

        return functional_from_config(cls, config, custom_objects)


def as_input_tensor(x, spec):
    """The data given for one model input, as Keras hands it to the graph: numeric data in the
    input's dtype (raw uint8 pixels, integer features -> float; ids stay integers) and with the
    input's rank, adding or dropping a trailing axis of size 1 (`(N, 28, 28)` for
    `Input((28, 28, 1))`)."""
    if spec.dtype == "string" or x is None:
        return x
    if not isinstance(x, torch.Tensor):
        x = _to_tensor(x, spec)
    elif x.dtype != spec._torch_dtype and spec._torch_dtype.is_floating_point and not (
            x.is_floating_point() or x.is_complex()):
        x = x.to(spec._torch_dtype)
    rank = len(spec.shape)
    if x.ndim != rank:
        x = _adjust_rank(x, spec, rank)
    return x


def _to_tensor(x, spec):
    import numpy as np

    array = np.asarray(x)
    if array.dtype.kind in "OUS":
        return x  # text: the model's text layers (or their error) take it from here
    floating = spec._torch_dtype.is_floating_point
    cast = array.dtype.kind == "f" or (floating and array.dtype.kind in "iub")
    return torch.as_tensor(array, dtype=spec._torch_dtype if cast else None)


def _adjust_rank(x, spec, rank):
    if x.ndim == rank + 1 and x.shape[-1] == 1:
        return x.squeeze(-1)
    if x.ndim == rank - 1 and spec.shape[-1] == 1:
        return x.unsqueeze(-1)
    return x  # the first layer's input check explains the mismatch


def _convert_input_dtypes(inputs, old, new):
    """The model's float inputs follow a whole-model `.to(dtype)`, so data is cast once, to
    the dtype the layers now compute in."""
    from lamina import config

    for tensor in inputs:
        if tensor.dtype == config.dtype_name(old):
            tensor.dtype = config.dtype_name(new)


def _unwrap_single(structure):
    if isinstance(structure, (list, tuple)) and len(structure) == 1:
        return structure[0]
    return structure


def _normalize_structure(structure, what):
    if isinstance(structure, tuple):
        structure = list(structure)
    if isinstance(structure, dict):
        # Keras flattens a dict by sorted key: `model.outputs`, `output_names`, the layers'
        # order and so `get_weights()` follow the sorted names, not the order written.
        structure = dict(sorted(structure.items()))
    for tensor in tree.flatten(structure):
        if not isinstance(tensor, KerasTensor):
            raise ValueError(
                f"All model {what} must be symbolic tensors made from `lamina.Input(...)` and "
                f"layer calls; received {tensor!r} of type {type(tensor).__name__}."
            )
    return structure


def _cut_subgraph(inputs, outputs):
    """New `Input`s where the given inputs are intermediate tensors, and the layers between
    them and the outputs called again on those (the layers, and so their weights, are shared
    with the bigger graph, as in Keras)."""
    from lamina.layers.core.input_layer import Input

    flat_inputs = tree.flatten(inputs)
    mapping = {}
    for tensor in flat_inputs:
        if isinstance(tensor._keras_history[0], InputLayer):
            mapping[id(tensor)] = tensor
        else:
            mapping[id(tensor)] = Input(batch_shape=tensor.shape, dtype=tensor.dtype)
    ordered, visited = [], set()

    def visit(tensor):
        if id(tensor) in mapping:
            return
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in visited:
            return
        if isinstance(layer, InputLayer):
            raise ValueError(
                f"Graph disconnected: cannot obtain value for tensor {tensor} at layer "
                f'"{layer.name}". Add that tensor to the model\'s `inputs`.')
        for parent in node.input_tensors:
            visit(parent)
        visited.add(id(node))
        ordered.append(node)

    for tensor in tree.flatten(outputs):
        visit(tensor)
    remap = lambda x: mapping.get(id(x), x) if isinstance(x, KerasTensor) else x  # noqa: E731
    for node in ordered:
        args, kwargs = tree.map_structure(remap, (node.call_args, node.call_kwargs))
        results = node.layer(*args, **kwargs)
        for old, new in zip(node.output_tensors, tree.flatten(results)):
            mapping[id(old)] = new
    return tree.map_structure(remap, inputs), tree.map_structure(remap, outputs)


def _topological_nodes(inputs, outputs):
    """Every node between `inputs` and `outputs`, each after the nodes that feed it."""
    input_ids = {id(t) for t in inputs}
    ordered, visited, in_progress = [], set(), set()

    def visit(tensor):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in visited:
            return
        if id(node) in in_progress:
            raise ValueError("The layer graph has a cycle; a functional model must be acyclic.")
        in_progress.add(id(node))
        if isinstance(layer, InputLayer) and id(tensor) not in input_ids:
            raise ValueError(
                f"Graph disconnected: cannot obtain value for tensor {tensor} at layer "
                f'"{layer.name}". Add that Input to the model\'s `inputs`.'
            )
        if id(tensor) not in input_ids:
            for parent in node.input_tensors:
                visit(parent)
        in_progress.discard(id(node))
        visited.add(id(node))
        ordered.append(node)

    for tensor in outputs:
        visit(tensor)
    used_inputs = {id(n.output_tensors[0]) for n in ordered if isinstance(n.layer, InputLayer)}
    unused = [t for t in inputs if id(t) not in used_inputs]
    if unused:
        # Keep unused inputs in the graph (Keras allows them) but order them first.
        ordered = [t._keras_history[0]._inbound_nodes[0] for t in unused] + ordered
    return ordered


def _check_unique_names(layers):
    names = set()
    for layer in layers:
        if layer.name in names:
            raise ValueError(
                f'The name "{layer.name}" is used by 2 layers in the model. All layer names '
                "must be unique; pass `name=` to one of them."
            )
        names.add(layer.name)


def _layers_by_depth(inputs, outputs):
    """`model.layers` in Keras's order: by decreasing depth (distance from the outputs), ties by
    the order a depth-first walk from the outputs meets them. Weights, saved files and optimizer
    slots all follow this order, so it must be Keras's exactly."""
    input_ids = {id(t) for t in inputs}
    order, finished, nodes_in_order = {}, set(), []

    def visit(tensor):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in finished:
            return
        order.setdefault(layer, len(order))
        if id(tensor) not in input_ids:
            for parent in node.input_tensors:
                visit(parent)
        finished.add(id(node))
        nodes_in_order.append(node)

    for tensor in outputs:
        visit(tensor)
    node_depth, layer_depth = {}, {}
    for node in reversed(nodes_in_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = depth
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in inputs:  # inputs that no output depends on still belong to the model
        layer = tensor._keras_history[0]
        if layer not in layer_depth:
            layer_depth[layer], order[layer] = 0, -1
    return sorted(layer_depth, key=lambda layer: (-layer_depth[layer], order[layer]))


class _Slot:
    """Where a layer's argument is found among the values a functional call computes."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index
