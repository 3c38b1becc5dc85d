"""`lamina.activations`: Keras's activation functions, and `get` / `serialize` / `deserialize`."""

import inspect as _inspect

from lamina.activations.activations import celu as celu
from lamina.activations.activations import elu as elu
from lamina.activations.activations import exponential as exponential
from lamina.activations.activations import gelu as gelu
from lamina.activations.activations import glu as glu
from lamina.activations.activations import hard_shrink as hard_shrink
from lamina.activations.activations import hard_sigmoid as hard_sigmoid
from lamina.activations.activations import hard_silu as hard_silu
from lamina.activations.activations import hard_tanh as hard_tanh
from lamina.activations.activations import leaky_relu as leaky_relu
from lamina.activations.activations import linear as linear
from lamina.activations.activations import log_sigmoid as log_sigmoid
from lamina.activations.activations import log_softmax as log_softmax
from lamina.activations.activations import mish as mish
from lamina.activations.activations import relu as relu
from lamina.activations.activations import relu6 as relu6
from lamina.activations.activations import selu as selu
from lamina.activations.activations import sigmoid as sigmoid
from lamina.activations.activations import silu as silu
from lamina.activations.activations import soft_shrink as soft_shrink
from lamina.activations.activations import softmax as softmax
from lamina.activations.activations import softplus as softplus
from lamina.activations.activations import softsign as softsign
from lamina.activations.activations import sparse_plus as sparse_plus
from lamina.activations.activations import sparse_sigmoid as sparse_sigmoid
from lamina.activations.activations import sparsemax as sparsemax
from lamina.activations.activations import squareplus as squareplus
from lamina.activations.activations import tanh as tanh
from lamina.activations.activations import tanh_shrink as tanh_shrink
from lamina.activations.activations import threshold as threshold
from lamina.registry import serialization as _serialization

swish = silu
hard_swish = hard_silu

_PACKAGE = "activations"


def get(identifier):
    """An activation function from a name (`"relu"`), a config, or a callable.

    `None` gives `linear`, as in Keras, so `Dense(3, activation=None)` applies nothing.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return _serialization.resolve(_PACKAGE, identifier, "activation function")


def serialize(activation):
    """The name of a built-in activation (`"relu"`); a registered name for your own functions."""
    if getattr(activation, "_keras_package", None) == _PACKAGE:  # set by register_builtin
        return activation.__name__
    if _inspect.isfunction(activation) and activation.__name__ == "<lambda>":
        raise ValueError(
            "Cannot serialize a lambda activation: it has no name to save. Define it with `def`, "
            "decorate it with @lamina.saving.register_keras_serializable(), and pass the function."
        )
    return _serialization.serialize_keras_object(activation)


def deserialize(config, custom_objects=None):
    """The activation named by `config`, a name or a Keras config dict (a user's function is
    saved as {"class_name": "function", "config": "<its name>", ...}; the shared deserializer
    reads it, and refuses functions of os/subprocess/builtins for safety)."""
    return _serialization.deserialize_keras_object(
        config, package=_PACKAGE, custom_objects=custom_objects, what="activation function"
    )
