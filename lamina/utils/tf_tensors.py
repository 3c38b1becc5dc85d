"""TensorFlow tensors reaching lamina layers: keras.io's `tf.data` pipelines.

Keras's examples preprocess inside `tf.data`: `ds.map(lambda x, y: (rescale(x), y))`,
`text_ds.map(vectorize_layer)`, `vectorize_layer.adapt(text_ds)`. Keras on torch runs its
preprocessing layers there with TensorFlow ops. lamina runs the layer itself:

- an eager `tf.Tensor` (a batch taken from a dataset, `tf.constant(...)`) becomes a numpy array
  first (strings as bytes), then the call proceeds as for numpy input;
- a graph `tf.Tensor` (inside `Dataset.map` or a `tf.function`) is handed to the layer through
  `tf.numpy_function`: the layer runs in Python on each batch and the result goes back to
  TensorFlow, with the static shape and dtype the layer's `compute_output_spec` gives.

TensorFlow is never imported here unless such a tensor is already in hand (so TensorFlow is
loaded), and tensors are recognised by their class's module, not by isinstance.
"""

import numpy as np
import torch

from lamina.utils import tree

_TF_DTYPE_NAMES = {"string": "string", "bool": "bool"}


def is_tf_tensor(value):
    cls = type(value)
    return cls.__module__.startswith("tensorflow") and "Tensor" in cls.__name__


def contains_tf_tensor(value):
    if isinstance(value, (list, tuple)):
        return any(contains_tf_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(contains_tf_tensor(v) for v in value.values())
    return is_tf_tensor(value)


def _is_graph_tensor(value):
    return is_tf_tensor(value) and type(value).__name__ != "EagerTensor"


def to_numpy(value):
    """An eager tf tensor (or a structure of them) as numpy arrays; anything else unchanged.
    (A copy: `.numpy()` may be read-only, which torch warns about when wrapping it.)"""
    if isinstance(value, (list, tuple, dict)):
        return tree.map_structure(to_numpy, value)
    if is_tf_tensor(value) and not _is_graph_tensor(value):
        return np.array(value.numpy())
    return value


def call_layer(layer, args, kwargs):
    """`layer(*args, **kwargs)` where the first argument holds tf tensors (see module doc)."""
    first = args[0]
    if not any(_is_graph_tensor(v) for v in tree.flatten(first)):
        return layer(to_numpy(first), *args[1:], **kwargs)
    return _call_in_graph(layer, first, args[1:], kwargs)


def _call_in_graph(layer, first, rest, kwargs):
    import tensorflow as tf

    from lamina.symbolic.keras_tensor import KerasTensor

    flat_inputs = tree.flatten(first)
    specs = [KerasTensor(tuple(x.shape.as_list()) if x.shape.rank is not None else None,
                         _dtype_name(x.dtype)) for x in flat_inputs]
    spec_kwargs = {k: v for k, v in kwargs.items() if k != "training"}
    output_spec = layer.compute_output_spec(tree.pack_sequence_as(first, specs), *rest,
                                            **spec_kwargs)
    flat_specs = tree.flatten(output_spec)

    def run(*arrays):
        inputs = tree.pack_sequence_as(first, list(arrays))
        with torch.no_grad():
            outputs = layer(inputs, *rest, **kwargs)
        return [_to_tf_compatible(o) for o in tree.flatten(outputs)]

    outputs = tf.numpy_function(run, flat_inputs,
                                [_tf_dtype(tf, spec.dtype) for spec in flat_specs],
                                stateful=True, name=f"lamina_{layer.name}")
    for tensor, spec in zip(outputs, flat_specs, strict=True):
        tensor.set_shape(spec.shape)
    return tree.pack_sequence_as(output_spec, list(outputs))


def _dtype_name(tf_dtype):
    return "string" if tf_dtype.name == "string" else tf_dtype.name


def _tf_dtype(tf, name):
    return tf.string if name in ("string", "str", "object") else tf.as_dtype(str(name))


def _to_tf_compatible(value):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.dtype == torch.bfloat16:
            value = value.float()
        return value.numpy()
    array = np.asarray(value)
    if array.dtype.kind in "OU":  # text outputs (an inverted lookup): bytes for TensorFlow
        return np.vectorize(lambda s: s.encode() if isinstance(s, str) else s,
                            otypes=[object])(array)
    return array
