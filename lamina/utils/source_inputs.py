"""`keras.utils.get_source_inputs`: the Input tensors a symbolic tensor was computed from."""

from lamina.registry.export import keras_export


@keras_export("utils.get_source_inputs", package=False)
def get_source_inputs(tensor):
    """The `Input` tensors that `tensor` depends on, in the order they are first reached (an
    Input gives itself). Anything that is not a symbolic tensor is returned unchanged, as in
    Keras."""
    if not hasattr(tensor, "_keras_history"):
        return tensor
    sources, seen, stack = [], set(), [tensor]
    while stack:
        current = stack.pop(0)
        layer, node_index, _ = current._keras_history
        node = layer._inbound_nodes[node_index]
        if not node.input_tensors:  # an InputLayer's node
            if id(current) not in seen:
                seen.add(id(current))
                sources.append(current)
            continue
        stack = list(node.input_tensors) + stack
    return sources
