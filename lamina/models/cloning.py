"""Architecture-only copies: `model_from_json` and `clone_model` (fresh weights, same graph)."""

import json

from lamina.saving.serialization import deserialize_layer, serialize_layer


def model_from_json(json_string, custom_objects=None):
    config = json.loads(json_string)
    return deserialize_layer(config, custom_objects)


def clone_model(model, input_tensors=None, clone_function=None):
    if input_tensors is not None or clone_function is not None:
        raise NotImplementedError(
            "clone_model(input_tensors=..., clone_function=...) is not supported yet; "
            "clone_model(model) rebuilds the same architecture with new weights."
        )
    return deserialize_layer(serialize_layer(model))
