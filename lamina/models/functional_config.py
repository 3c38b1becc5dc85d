"""get_config / from_config of functional models, in Keras 3's layout.

A config lists every layer with its `inbound_nodes`; each node lists the call's arguments, with
tensors written as `{"class_name": "__keras_tensor__", "config": {"keras_history": [layer,
node_index, tensor_index], ...}}`. Node indices count only the calls that belong to this model,
so a layer shared with other models still round-trips. Keras 2 list-style nodes
(`[[["input_1", 0, 0, {}]]]`) are read too.
"""

import numpy as np
import torch

from lamina import config
from lamina.layers.core.input_layer import InputLayer
from lamina.layers.core.op_layer import OpLayer
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.registry.serialization import deserialize_layer, serialize_layer
from lamina.utils import tree


def functional_config(model):
    model_nodes = {id(node) for node in model._nodes}
    node_index = {}  # id(node) -> index among this model's calls of its layer
    for layer in model._operations:
        kept = [node for node in layer._inbound_nodes if id(node) in model_nodes]
        for i, node in enumerate(kept):
            node_index[id(node)] = i

    def history(tensor):
        layer, index, tensor_index = tensor._keras_history
        return [layer.name, node_index.get(id(layer._inbound_nodes[index]), index), tensor_index]

    def serialize_arg(value):
        if isinstance(value, KerasTensor):
            return {"class_name": "__keras_tensor__", "config": {
                "shape": list(value.shape), "dtype": value.dtype, "keras_history": history(value)}}
        if isinstance(value, slice):
            return {"class_name": "__slice__", "config": {
                "start": value.start, "stop": value.stop, "step": value.step}}
        if value is Ellipsis:
            return {"class_name": "__ellipsis__", "config": {}}
        if isinstance(value, (torch.Tensor, np.ndarray)):  # a constant operand, as Keras writes it
            array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
            return {"class_name": "__tensor__", "config": {
                "value": array.tolist(), "dtype": config.dtype_name(array.dtype)}}
        return value

    layers = []
    for layer in model._operations:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [] if isinstance(layer, InputLayer) else [
            {"args": _jsonable(tree.map_structure(serialize_arg, list(node.call_args))),
             "kwargs": _jsonable(tree.map_structure(serialize_arg, dict(node.call_kwargs)))}
            for node in layer._inbound_nodes if id(node) in model_nodes
        ]
        layers.append(entry)

    def endpoint(tensor):
        entry = history(tensor)
        if _starts_with_its_own_node(tensor._keras_history[0]):
            entry[1] += 1  # Keras counts a nested functional model's construction node here
        return entry

    def endpoints(struct):
        if isinstance(struct, dict):
            return {k: endpoint(v) for k, v in struct.items()}
        flat = [endpoint(t) for t in tree.flatten(struct)]
        return flat[0] if len(flat) == 1 and not isinstance(struct, list) else flat

    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": endpoints(model._inputs_struct),
            "output_layers": endpoints(model._outputs_struct)}


def functional_from_config(cls, config, custom_objects=None):
    layers, outputs_by_layer, pending = {}, {}, []
    for entry in config["layers"]:
        layer_config = {k: v for k, v in entry.items() if k not in ("name", "inbound_nodes")}
        layer = deserialize_layer(layer_config, custom_objects)
        layers[entry["name"]] = layer
        if isinstance(layer, InputLayer):
            outputs_by_layer[entry["name"]] = [[layer.output_tensor]]
        else:
            outputs_by_layer[entry["name"]] = []
            pending.extend((entry["name"], node) for node in entry.get("inbound_nodes", []))

    def tensor_for(history):
        name, node_index, tensor_index = history[:3]
        produced = outputs_by_layer.get(name)
        if produced is None:
            raise ValueError(f"The config refers to an unknown layer '{name}'.")
        if node_index >= len(produced):
            raise LookupError(name)
        return produced[node_index][tensor_index]

    # Process nodes as their inputs become available (a layer's nodes keep their order).
    while pending:
        progressed, remaining = False, []
        blocked_layers = set()
        for name, node in pending:
            if name in blocked_layers:
                remaining.append((name, node))
                continue
            try:
                args, kwargs = _node_arguments(node, tensor_for)
            except LookupError:
                blocked_layers.add(name)
                remaining.append((name, node))
                continue
            layer = layers[name]
            if args and isinstance(args[0], torch.Tensor) and isinstance(layer, OpLayer):
                # An op whose first operand is a constant (`ones + x`): record it, do not run it.
                outputs = layer._symbolic_call(tuple(args), kwargs)
            else:
                outputs = layer(*args, **kwargs)
            outputs_by_layer[name].append(tree.flatten(outputs))
            progressed = True
        if not progressed:
            raise ValueError(
                "Could not rebuild the functional model from its config: the layer graph refers "
                f"to outputs that are never produced (stuck at layers {sorted(blocked_layers)})."
            )
        pending = remaining

    def endpoint(history):
        name, node_index = history[0], history[1]
        if node_index >= 1 and _starts_with_its_own_node(layers.get(name)):
            # (Keras counts the nested model's construction node in `output_layers`, not in
            # `inbound_nodes`; lamina files before 2026-12-06 wrote 0 there, read as is)
            history = [name, node_index - 1, *history[2:]]
        return tensor_for(history)

    def endpoints(spec):
        if isinstance(spec, dict):
            return {k: endpoint(v) for k, v in spec.items()}
        if spec and not isinstance(spec[0], (list, tuple)):
            return endpoint(spec)
        return [endpoint(h) for h in spec]

    return cls(endpoints(config["input_layers"]), endpoints(config["output_layers"]),
               name=config.get("name"), trainable=config.get("trainable", True))


def _starts_with_its_own_node(layer):
    """A functional model (not a Sequential) nested in another: Keras gives it a first node of
    its own (its inputs to its outputs) and counts it in a config's `input_layers` and
    `output_layers` node indices."""
    from lamina.models.functional import Functional

    return isinstance(layer, Functional)


def _node_arguments(node, tensor_for):
    def deserialize(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return tensor_for(value["config"]["keras_history"])
        return value

    if isinstance(node, dict):  # Keras 3
        args = _map_dicts(deserialize, node.get("args", []))
        kwargs = {k: _map_dicts(deserialize, v) for k, v in node.get("kwargs", {}).items()}
        return list(args), kwargs
    # Keras 2: a list of [layer_name, node_index, tensor_index, kwargs] entries.
    tensors = [tensor_for(entry[:3]) for entry in node]
    kwargs = dict(node[0][3]) if node and len(node[0]) > 3 and node[0][3] else {}
    return [tensors[0] if len(tensors) == 1 else tensors], kwargs


def _jsonable(value):
    """Tuples become lists, as JSON (and Keras's files) have them."""
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _map_dicts(fn, value):
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return fn(value)
    if isinstance(value, dict) and value.get("class_name") == "__slice__":
        return slice(value["config"]["start"], value["config"]["stop"], value["config"]["step"])
    if isinstance(value, dict) and value.get("class_name") == "__ellipsis__":
        return Ellipsis
    if isinstance(value, dict) and value.get("class_name") == "__tensor__":
        return torch.as_tensor(np.asarray(value["config"]["value"],
                                          dtype=value["config"].get("dtype") or None))
    if isinstance(value, list):
        return [_map_dicts(fn, v) for v in value]
    if isinstance(value, dict):
        return {k: _map_dicts(fn, v) for k, v in value.items()}
    return value
