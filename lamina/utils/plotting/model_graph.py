"""The picture of a model as plain data: one box per layer, the arrows between them, and the
dashed frames of expanded nested models. Both renderers (Graphviz through pydot, and matplotlib)
draw from this, so they show the same thing.
"""

import dataclasses

from lamina.utils import tree


@dataclasses.dataclass
class Box:
    key: str
    title: str  # "name (ClassName)", or "ClassName" without layer names
    lines: list  # "Activation: relu", "Input shape: (None, 8)", "Output shape: ...", ...
    cluster: tuple = ()  # names of the nested models this box is drawn inside, outermost first
    trainable: bool = None  # None: not shown


@dataclasses.dataclass
class ModelGraph:
    boxes: list = dataclasses.field(default_factory=list)
    edges: list = dataclasses.field(default_factory=list)  # (source key, destination key)

    def box(self, key):
        return next(box for box in self.boxes if box.key == key)

    def add_edge(self, source, destination):
        if (source, destination) not in self.edges:
            self.edges.append((source, destination))


@dataclasses.dataclass
class LabelOptions:
    show_shapes: bool = False
    show_dtype: bool = False
    show_layer_names: bool = False
    show_layer_activations: bool = False
    show_trainable: bool = False


def build_graph(model, options, expand_nested=False):
    """The ModelGraph of `model` (a Functional or Sequential model; any other model or layer is
    one box). With `expand_nested`, nested Functional/Sequential models are drawn layer by layer
    inside a frame instead of as one box."""
    if not getattr(model, "built", True):
        raise ValueError(
            f'The model "{model.name}" has not been built yet, so its layers are unknown. Build '
            "it first: start it with lamina.Input(shape=...), call build(input_shape), or call "
            "it on a batch of data."
        )
    graph = ModelGraph()
    _GraphBuilder(graph, options, expand_nested).add_model(model, cluster=())
    return graph


class _GraphBuilder:
    def __init__(self, graph, options, expand_nested):
        self.graph = graph
        self.options = options
        self.expand_nested = expand_nested

    def add_model(self, model, cluster):
        if _is_functional(model):
            self._add_functional(model, cluster)
        elif _is_sequential(model):
            self._add_sequential(model, cluster)
        else:  # a subclassed model or a lone layer: its call() is opaque
            self._add_box(model, cluster, None)

    def _add_functional(self, model, cluster):
        first_node = {}
        for node in model._nodes:
            first_node.setdefault(id(node.layer), node)
        for node in first_node.values():
            self._add_layer(node.layer, cluster, node)
        for node in model._nodes:
            if _is_input_layer(node.layer):
                continue
            for input_index, tensor in enumerate(node.input_tensors):
                source, _, tensor_index = tensor._keras_history
                self.graph.add_edge(self._source_key(source, tensor_index),
                                    self._destination_key(node.layer, input_index))

    def _add_sequential(self, model, cluster):
        layers = model.layers
        nodes = _sequential_nodes(model)
        for layer, node in zip(layers, nodes):
            self._add_layer(layer, cluster, node)
        for before, after in zip(layers, layers[1:]):
            self.graph.add_edge(self._source_key(before, 0), self._destination_key(after, 0))

    def _add_layer(self, layer, cluster, node):
        if self._expands(layer):
            self.add_model(layer, cluster + (layer.name,))
        else:
            self._add_box(layer, cluster, node)

    def _add_box(self, layer, cluster, node):
        options = self.options
        name = type(layer).__name__
        title = f"{layer.name} ({name})" if options.show_layer_names else name
        lines = []
        activation = getattr(layer, "activation", None)
        if options.show_layer_activations and activation is not None:
            lines.append(f"Activation: {activation_name(activation)}")
        if options.show_shapes:
            inputs, outputs = _node_shapes(layer, node)
            if not _is_input_layer(layer):
                lines.append(f"Input shape: {inputs}")
            lines.append(f"Output shape: {outputs}")
        if options.show_dtype:
            lines.append(f"Output dtype: {_node_dtypes(node)}")
        trainable = None
        if options.show_trainable and layer.weights:
            trainable = bool(layer.trainable)
            lines.append("Trainable" if trainable else "Non-trainable")
        self.graph.boxes.append(Box(_key(layer), title, lines, cluster, trainable))

    def _expands(self, layer):
        return self.expand_nested and (_is_functional(layer) or _is_sequential(layer)) and \
            bool(layer.layers)

    def _source_key(self, layer, tensor_index):
        """The box an arrow leaving `layer`'s output `tensor_index` starts from."""
        while self._expands(layer):
            outputs = layer.outputs
            if not outputs:  # a Sequential never called symbolically: its last layer
                layer, tensor_index = layer.layers[-1], 0
                continue
            layer, _, tensor_index = outputs[tensor_index]._keras_history
        return _key(layer)

    def _destination_key(self, layer, input_index):
        """The box an arrow entering `layer`'s input `input_index` points at."""
        while self._expands(layer):
            if _is_functional(layer):
                layer = layer.inputs[input_index]._keras_history[0]
            else:
                layer = layer.layers[0]
        return _key(layer)


def activation_name(activation):
    return getattr(activation, "name", None) or getattr(activation, "__name__", None) or \
        str(activation)


def format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        return ", ".join(f"{k}: {v}" for k, v in shape.items())
    return str(shape)


def _key(layer):
    return str(id(layer))


def _node_shapes(layer, node):
    if node is None:
        return _known_shape(layer, "input_shape"), _known_shape(layer, "output_shape")
    inputs = node.call_args[0] if len(node.call_args) == 1 else list(node.call_args)
    inputs = tree.map_structure(_shape_of, inputs) if node.call_args else None
    return format_shape(inputs), format_shape(tree.map_structure(_shape_of, node.outputs))


def _known_shape(layer, attribute):
    try:
        return format_shape(getattr(layer, attribute))
    except (AttributeError, ValueError, RuntimeError, NotImplementedError, TypeError):
        return "?"


def _shape_of(value):
    return tuple(value.shape) if hasattr(value, "shape") else value


def _node_dtypes(node):
    if node is None:
        return "?"
    dtypes = tree.map_structure(lambda t: getattr(t, "dtype", None), node.outputs)
    return dtypes if isinstance(dtypes, str) else str(dtypes)


def _sequential_nodes(model):
    """For each layer of a Sequential, its call in this model's symbolic chain (or None)."""
    tensor = getattr(model, "_input_tensor", None)
    nodes = []
    for layer in model.layers:
        node = None
        if tensor is not None:
            node = next((n for n in layer._inbound_nodes
                         if any(t is tensor for t in n.input_tensors)), None)
        nodes.append(node)
        tensor = node.output_tensors[0] if node is not None and node.output_tensors else None
    return nodes


def _is_functional(layer):
    from lamina.models.functional import Functional

    return isinstance(layer, Functional)


def _is_sequential(layer):
    from lamina.models.sequential import Sequential

    return isinstance(layer, Sequential)


def _is_input_layer(layer):
    from lamina.layers.core.input_layer import InputLayer

    return isinstance(layer, InputLayer)
