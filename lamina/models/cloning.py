"""Architecture-only copies: `model_from_json` and `clone_model` (fresh weights, same graph)."""

import json

from lamina.registry.serialization import deserialize_layer, serialize_layer
from lamina.utils import tree


def model_from_json(json_string, custom_objects=None):
    config = json.loads(json_string)
    return deserialize_layer(config, custom_objects)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False):
    """A new model with the same graph. Each layer is replaced by `clone_function(layer)`
    (default: a fresh layer from its config, i.e. new weights) and called through
    `call_function(layer, *args, **kwargs)` when given; `input_tensors` replace the inputs."""
    from lamina.layers.core.input_layer import InputLayer
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential

    default = clone_function is None
    if default:
        clone_function = _fresh_copy
    if recursive:
        inner = clone_function

        def clone_function(layer):  # noqa: F811 (nested models are cloned layer by layer)
            if isinstance(layer, (Sequential, Functional)):
                return clone_model(layer, clone_function=inner, call_function=call_function,
                                   recursive=True)
            return inner(layer)

    if isinstance(model, Sequential):
        clone = _clone_sequential(model, input_tensors, clone_function, call_function)
    elif isinstance(model, Functional):
        clone = _clone_functional(model, input_tensors, clone_function, call_function, InputLayer)
    elif not default or input_tensors is not None or call_function is not None:
        raise ValueError(
            "clone_model() can only rebuild a subclassed model from its config; clone_function, "
            "call_function and input_tensors need a Sequential or functional model."
        )
    else:
        # (its own class is known here, registered or not, as Keras passes it along)
        clone = deserialize_layer(serialize_layer(model), {type(model).__name__: type(model)})
    return _compile_like(clone, model)


def _compile_like(clone, model):
    """Keras compiles the clone of a compiled model from the original's compile config: a
    new optimizer, losses and metrics of the same configuration (no state is shared)."""
    if getattr(model, "compiled", False) and hasattr(clone, "compile_from_config"):
        clone.compile_from_config(model.get_compile_config())
    return clone


def _fresh_copy(layer):
    return type(layer).from_config(layer.get_config())


def _call(layer, call_function, args, kwargs):
    return call_function(layer, *args, **kwargs) if call_function else layer(*args, **kwargs)


def _clone_sequential(model, input_tensors, clone_function, call_function):
    from lamina.layers.core.input_layer import Input, InputLayer
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential

    layers = [clone_function(layer) for layer in model.layers]
    if input_tensors is None and call_function is None:
        clone = Sequential(name=model.name, trainable=model.trainable)
        if model.inputs:
            source = model.inputs[0]
            clone.add(Input(batch_shape=source.shape, dtype=source.dtype,
                            name=source._keras_history[0].name))
        for layer in layers:
            clone.add(layer)
        return clone
    if call_function is None:
        given = tree.flatten(input_tensors)
        if len(given) == 1 and isinstance(getattr(given[0], "_keras_history", [None])[0],
                                          InputLayer):
            # A new Input: still a Sequential, starting from it (as Keras clones it).
            clone = Sequential(name=model.name, trainable=model.trainable)
            clone.add(given[0])
            for layer in layers:
                clone.add(layer)
            return clone
    if input_tensors is None:
        if not model.inputs:
            raise ValueError("Cannot clone a Sequential model with no known input shape and a "
                             "call_function; build it first or pass input_tensors.")
        source = model.inputs[0]
        input_tensors = Input(batch_shape=source.shape, dtype=source.dtype)
    inputs = tree.flatten(input_tensors)[0]
    x = inputs
    for layer in layers:
        x = _call(layer, call_function, (x,), {})
    return Functional(inputs, x, name=model.name)


def _clone_functional(model, input_tensors, clone_function, call_function, input_layer_type):
    from lamina.layers.core.input_layer import Input
    from lamina.symbolic.keras_tensor import KerasTensor
    from lamina.models.functional import Functional

    if input_tensors is None:
        new_inputs = [Input(batch_shape=t.shape, dtype=t.dtype, name=t._keras_history[0].name)
                      for t in model.inputs]
    else:
        new_inputs = tree.flatten(input_tensors)
        if len(new_inputs) != len(model.inputs):
            raise ValueError(
                f"clone_model() got {len(new_inputs)} input tensors for a model with "
                f"{len(model.inputs)} inputs."
            )
    mapped = {id(old): new for old, new in zip(model.inputs, new_inputs)}
    clones = {}
    for node in model._nodes:
        layer = node.layer
        if isinstance(layer, input_layer_type):
            continue
        if id(layer) not in clones:  # a shared layer is cloned once and stays shared
            clones[id(layer)] = clone_function(layer)
        args, kwargs = tree.map_structure(
            lambda x: mapped[id(x)] if isinstance(x, KerasTensor) else x,
            (node.call_args, node.call_kwargs),
        )
        outputs = _call(clones[id(layer)], call_function, args, kwargs)
        for old, new in zip(node.output_tensors, tree.flatten(outputs)):
            mapped[id(old)] = new
    inputs = tree.pack_sequence_as(model._inputs_struct, new_inputs)
    outputs = tree.map_structure(lambda t: mapped[id(t)], model._outputs_struct)
    return Functional(inputs, outputs, name=model.name, trainable=model.trainable)


def model_from_yaml(yaml_string, custom_objects=None):
    """Keras 2.0-2.5's YAML model format, removed by Keras for safety (loading YAML could run
    arbitrary code): refused, with the replacement."""
    raise RuntimeError(
        "model_from_yaml() was removed (Keras 2.6+ and Keras 3): loading YAML could run "
        "arbitrary code. Save the architecture with `model.to_json()` and load it with "
        "`keras.models.model_from_json(...)`, or save the whole model with "
        "`model.save('model.keras')`. A YAML file from an old run can be converted by loading "
        "it in Keras 2.5 and calling `to_json()` there.")
