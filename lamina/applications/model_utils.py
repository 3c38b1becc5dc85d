"""The steps every application model shares around its own layers.

An architecture function reads as:

    check_arguments(weights, include_top, classes, pooling)
    input_shape = imagenet_utils.obtain_input_shape(...)
    img_input = image_input(input_tensor, input_shape)
    x = ... the network's layers ...
    x = classifier top, or apply_pooling(x, pooling)
    model = functional_model(input_tensor, img_input, x, name)
    load_weights(model, weights, file_name, origin, file_hash)

so the argument rules, the input handling and the weight files are the same for every family
(and the same as Keras's, which repeats them in each architecture).
"""

import os

from lamina import config

_POOLINGS = (None, "avg", "max")


def check_arguments(weights, include_top, classes, pooling=None):
    """Raises ValueError for `weights`, `classes` or `pooling` values Keras would not accept."""
    if not (weights in ("imagenet", None) or _is_existing_file(weights)):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded. Received: weights={weights!r}"
            + (" (no such file)" if isinstance(weights, (str, os.PathLike)) else "")
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000. "
            f"Received: classes={classes}. Pass include_top=False and add your own classifier, "
            "or weights=None to train from scratch."
        )
    # Keras ignores an unknown `pooling` and returns the 4D feature map; naming the mistake
    # is kinder than a silently different output shape.
    if not include_top:
        _check_pooling(pooling)


def _check_pooling(pooling):
    if pooling not in _POOLINGS:
        raise ValueError(
            "The `pooling` argument should be None, 'avg' or 'max'. "
            f"Received: pooling={pooling!r}"
        )


def _is_existing_file(weights):
    return isinstance(weights, (str, os.PathLike)) and os.path.exists(weights)


def channel_axis():
    """The axis BatchNormalization and Concatenate use for channels: 3 or 1."""
    return 3 if config.image_data_format() == "channels_last" else 1


def is_keras_tensor(x):
    from lamina import utils

    return utils.is_keras_tensor(x)


def image_input(input_tensor, input_shape):
    """The symbolic image tensor the network starts from: `input_tensor`, or a new Input."""
    from lamina import layers

    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not is_keras_tensor(input_tensor):
        raise ValueError(
            "`input_tensor` should be a symbolic tensor, the output of `lamina.Input()` or of "
            f"a layer called on one. Received: input_tensor of type {type(input_tensor).__name__}."
            " To run the model on data, build it first and call it: `model(data)`."
        )
    return input_tensor


def apply_pooling(x, pooling, avg_name=None, max_name=None):
    """The feature extractor's end: global average ("avg") or max ("max") pooling, or `x`
    itself (None). The names are those of the pooling layers (None: default names)."""
    from lamina import layers

    _check_pooling(pooling)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def source_inputs(tensor):
    """The Input tensors that `tensor` is computed from (so a model built on an intermediate
    `input_tensor` takes the original inputs, as in Keras)."""
    layer, node_index, _ = tensor._keras_history
    node = layer._inbound_nodes[node_index]
    if not node.input_tensors:  # an InputLayer's node
        return list(node.output_tensors)
    sources = []
    for parent in node.input_tensors:
        for source in source_inputs(parent):
            if all(source is not known for known in sources):
                sources.append(source)
    return sources


def functional_model(input_tensor, img_input, outputs, name):
    """The functional model from the network's input(s) to `outputs`."""
    from lamina import models

    if input_tensor is None:
        inputs = img_input
    else:
        inputs = source_inputs(input_tensor)
        inputs = inputs[0] if len(inputs) == 1 else inputs
    return models.Model(inputs, outputs, name=name)


def load_weights(model, weights, file_name=None, origin=None, file_hash=None):
    """Loads `weights` into `model`.

    "imagenet" downloads `origin` into `~/.keras/models/file_name` once (checked against
    `file_hash`) and loads it; a path loads that file (Keras .h5, .weights.h5 or .keras); None
    keeps the random initialization.
    """
    if weights == "imagenet":
        if file_name is not None:  # None: no published weights for this variant
            load_imagenet_weights(model, file_name, origin, file_hash)
    elif weights is not None:
        model.load_weights(os.fspath(weights))


def load_imagenet_weights(model, file_name, origin, file_hash=None):
    """Downloads `origin` once into `~/.keras/models/file_name` and loads it into `model`."""
    from lamina.utils import file_utils

    path = file_utils.get_file(file_name, origin, cache_subdir="models", file_hash=file_hash)
    model.load_weights(path)


ARGUMENTS_DOC = """
    Args:
        include_top: Whether to include the classifier at the top of the network.
        weights: `None` (random initialization), "imagenet" (download and load the ImageNet
            weights Keras publishes) or the path of a weights file to load.
        input_tensor: Optional symbolic tensor (e.g. the output of `lamina.Input()`) to use
            as the model's image input.
        input_shape: Optional shape tuple without the batch axis, e.g. `(160, 160, 3)`
            (`(3, 160, 160)` with channels_first). Only for `include_top=False`: with the top,
            the input has the network's default size. It should have 3 channels, and height
            and width of at least {min_size}.
        pooling: With `include_top=False`: `None` returns the last convolutional block's 4D
            feature map, "avg" applies global average pooling and "max" global max pooling
            (a 2D output).
        classes: Number of classes of the top; only with `include_top=True` and when not
            loading ImageNet weights (which have 1000).
        classifier_activation: Activation of the top layer (a name or a callable); `None`
            returns logits. With pretrained weights only `None` or "softmax" are allowed.
        name: The name of the model.

    Returns:
        A functional `Model`.
"""


def document(function, summary, min_size=32):
    """Gives an architecture function its docstring: `summary`, then the shared arguments."""
    function.__doc__ = summary.rstrip() + "\n" + ARGUMENTS_DOC.format(min_size=min_size)
    return function
