"""`from lamina import backend as K`: Keras 3's `keras.backend` plus the Keras 2 `K.*` helpers.

Keras 3 kept only configuration and dtype helpers here (`floatx`, `epsilon`, `clear_session`, ...).
Keras 2 tutorials also call tensor functions through `K` (`K.mean`, `K.square`, `K.int_shape`,
`K.get_value`, ...); those are provided on top of `lamina.ops` with their Keras 2 signatures and
defaults (for instance `K.concatenate(tensors, axis=-1)` and `K.argmax(x, axis=-1)`).
"""

import collections
import gc
import warnings

import numpy as np
import torch

from lamina import config
from lamina import ops
from lamina import random as _random
from lamina.ops.core import is_float_dtype as is_float_dtype
from lamina.ops.core import is_int_dtype as is_int_dtype
from lamina.ops.core import result_type as result_type
from lamina.ops.core import standardize_dtype as standardize_dtype
from lamina.registry.export import keras_export
from lamina.utils import naming, tree
from lamina.utils.arguments import user_stacklevel

# ---- Keras 3 keras.backend -----------------------------------------------------------------------

floatx = config.floatx
set_floatx = config.set_floatx
epsilon = config.epsilon
set_epsilon = config.set_epsilon
image_data_format = config.image_data_format
set_image_data_format = config.set_image_data_format
backend = config.backend

_uids = collections.Counter()


def get_uid(prefix=""):
    """1 for the first call with `prefix`, then 2, 3, ... until `clear_session()`."""
    _uids[prefix] += 1
    return _uids[prefix]


@keras_export("utils.clear_session")
def clear_session(free_memory=True):
    """Forget global state: generated layer names (`dense_3` starts over at `dense`), uids and
    the global dtype policy (back to floatx's, as in Keras, whose `clear_session` resets
    its settings; floatx itself stays).

    With `free_memory`, also run Python's garbage collector and release cached CUDA memory.
    """
    from lamina.mixed_precision.policy import set_global_policy

    naming.reset_names()
    _uids.clear()
    set_global_policy(None)
    if free_memory:
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def is_keras_tensor(x):
    from lamina.symbolic.keras_tensor import KerasTensor

    return isinstance(x, KerasTensor)


# ---- Keras 2 K.* tensor helpers ------------------------------------------------------------------

is_tensor = ops.is_tensor
cast = ops.cast
dtype = ops.dtype
ndim = ops.ndim
mean = ops.mean
sum = ops.sum
prod = ops.prod
std = ops.std
var = ops.var
any = ops.any
all = ops.all
square = ops.square
sqrt = ops.sqrt
abs = ops.abs
exp = ops.exp
log = ops.log
sign = ops.sign
round = ops.round
maximum = ops.maximum
minimum = ops.minimum
equal = ops.equal
not_equal = ops.not_equal
greater = ops.greater
greater_equal = ops.greater_equal
less = ops.less
less_equal = ops.less_equal
dot = ops.dot
reshape = ops.reshape
tile = ops.tile
stack = ops.stack
logsumexp = ops.logsumexp
stop_gradient = ops.stop_gradient
zeros_like = ops.zeros_like
ones_like = ops.ones_like
relu = ops.relu
sigmoid = ops.sigmoid
tanh = ops.tanh
softplus = ops.softplus
softsign = ops.softsign
binary_crossentropy = ops.binary_crossentropy
categorical_crossentropy = ops.categorical_crossentropy
sparse_categorical_crossentropy = ops.sparse_categorical_crossentropy


def max(x, axis=None, keepdims=False):
    return ops.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return ops.min(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return ops.argmax(x, axis=axis)


def argmin(x, axis=-1):
    return ops.argmin(x, axis=axis)


def clip(x, min_value, max_value):
    return ops.clip(x, min_value, max_value)


def pow(x, a):
    return ops.power(x, a)


def concatenate(tensors, axis=-1):
    return ops.concatenate(tensors, axis=axis)


def expand_dims(x, axis=-1):
    return ops.expand_dims(x, axis)


def squeeze(x, axis):
    return ops.squeeze(x, axis=axis)


def flatten(x):
    """All of `x` as one 1-D tensor."""
    return ops.reshape(x, (-1,))


def batch_flatten(x):
    """`x` as (batch, everything else)."""
    x = ops.convert_to_tensor(x)
    return x.reshape(x.shape[0], -1)


def transpose(x):
    return ops.transpose(x)


def permute_dimensions(x, pattern):
    return ops.transpose(x, axes=tuple(pattern))


def repeat_elements(x, rep, axis):
    return ops.repeat(x, rep, axis=axis)


def gather(reference, indices):
    """Rows of `reference` at `indices`."""
    return ops.take(reference, indices, axis=0)


def one_hot(indices, num_classes):
    return ops.one_hot(indices, num_classes)


def l2_normalize(x, axis=None):
    return ops.normalize(x, axis=-1 if axis is None else axis, order=2)


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha=alpha)


def switch(condition, then_expression, else_expression):
    """Elementwise `then` where `condition` holds, else `else` (callables are called first)."""
    then_value = then_expression() if callable(then_expression) else then_expression
    else_value = else_expression() if callable(else_expression) else else_expression
    return ops.where(condition, then_value, else_value)


def batch_dot(x, y, axes=None):
    """Per-sample dot product of two batches, contracting `axes` = (axis of x, axis of y).

    Defaults to the last axis of `x` against the second-to-last of `y` (the last, if `y` is 2-D).
    The result has `x`'s remaining axes then `y`'s; a result with only the batch axis gets a
    trailing axis of size 1, as in Keras 2.
    """
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    elif isinstance(axes, int):
        axes = (axes, axes)
    x = torch.movedim(x, axes[0], -1)
    y = torch.movedim(y, axes[1], 1)
    x_rest, y_rest = x.shape[1:-1], y.shape[2:]
    x3 = x.reshape(x.shape[0], -1, x.shape[-1])
    y3 = y.reshape(y.shape[0], y.shape[1], -1)
    result = torch.bmm(x3, y3).reshape((x.shape[0],) + x_rest + y_rest)
    return result.unsqueeze(-1) if result.ndim == 1 else result


def int_shape(x):
    """The shape as a tuple (None for unknown dimensions of symbolic tensors)."""
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


def shape(x):
    return int_shape(x)


def count_params(x):
    return int(np.prod(int_shape(x)))


def ones(shape, dtype=None, name=None):
    return ops.ones(shape, dtype=dtype)


def zeros(shape, dtype=None, name=None):
    return ops.zeros(shape, dtype=dtype)


def eye(size, dtype=None, name=None):
    return ops.eye(size, dtype=dtype)


def arange(start, stop=None, step=1, dtype="int32"):
    return ops.arange(start, stop, step, dtype=dtype)


def cumsum(x, axis=0):
    return ops.cumsum(x, axis=axis)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, **kwargs):
    if "std" in kwargs:  # Keras 1's name (its variational autoencoder example passes std=)
        warnings.warn("K.random_normal(std=...) is Keras 1; pass stddev=...",
                      DeprecationWarning, stacklevel=user_stacklevel())
        stddev = kwargs.pop("std")
    if kwargs:
        raise TypeError(f"random_normal() got unexpected keyword arguments {sorted(kwargs)}; "
                        "it takes shape, mean, stddev, dtype and seed.")
    return _random.normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _random.uniform(shape, minval=minval, maxval=maxval, dtype=dtype, seed=seed)


# ---- values --------------------------------------------------------------------------------------

def variable(value, dtype=None, name=None, constraint=None):
    """A tensor holding `value` (float values become `floatx()` unless `dtype` is given)."""
    if dtype is None and np.asarray(value).dtype.kind == "f":
        dtype = config.floatx()
    return ops.convert_to_tensor(value, dtype=dtype).clone()


def constant(value, dtype=None, shape=None, name=None):
    """A tensor of `value`, broadcast to `shape` if given (dtype defaults to floatx)."""
    tensor = ops.convert_to_tensor(value, dtype=dtype or config.floatx())
    return tensor.expand(tuple(shape)).clone() if shape is not None else tensor


def get_value(x):
    """The value of a tensor (or weight) as a NumPy array."""
    return ops.convert_to_numpy(x)


def batch_get_value(tensors):
    return [get_value(t) for t in tensors]


def eval(x):
    return get_value(x)


def set_value(x, value):
    """Overwrite tensor/weight `x` in place with `value` (same shape)."""
    value = ops.convert_to_tensor(value, dtype=x.dtype)
    if tuple(value.shape) != tuple(x.shape):
        raise ValueError(
            f"set_value: the new value has shape {tuple(value.shape)} but the tensor has shape "
            f"{tuple(x.shape)}."
        )
    with torch.no_grad():
        x.copy_(value)


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def learning_phase():
    """0 (inference). lamina has no global phase: layers receive `training=` from fit/predict."""
    return 0


def set_learning_phase(value):
    """Keras 2's global training flag. Nothing to set: fit trains, predict and evaluate infer,
    and a layer called directly takes `training=`. Accepted (0 or 1) with a warning."""
    if value not in (0, 1):
        raise ValueError(f"set_learning_phase() takes 0 or 1; received {value!r}.")
    warnings.warn(
        "K.set_learning_phase() is Keras 2 (removed in Keras 3) and has no effect: fit() "
        "trains and predict()/evaluate() infer by themselves; call a layer or model with "
        "`training=True` / `training=False` to choose.", DeprecationWarning,
        stacklevel=user_stacklevel())


# ---- Keras 1 image ordering ----------------------------------------------------------------------

_ORDERINGS = {"th": "channels_first", "tf": "channels_last"}


def image_dim_ordering():
    """Keras 1's name for the image data format: "th" (channels first) or "tf" (channels last).
    Keras 1 examples branch on it (`if K.image_dim_ordering() == 'th': ...`)."""
    warnings.warn("K.image_dim_ordering() is Keras 1; use K.image_data_format() "
                  "('channels_first' / 'channels_last').",
                  DeprecationWarning, stacklevel=user_stacklevel())
    return "th" if config.image_data_format() == "channels_first" else "tf"


def set_image_dim_ordering(dim_ordering):
    """Keras 1's setter: "th" -> channels_first, "tf" -> channels_last."""
    warnings.warn("K.set_image_dim_ordering() is Keras 1; use K.set_image_data_format("
                  "'channels_first' or 'channels_last').",
                  DeprecationWarning, stacklevel=user_stacklevel())
    if dim_ordering not in _ORDERINGS:
        raise ValueError(f"set_image_dim_ordering() takes 'th' or 'tf'; received "
                         f"{dim_ordering!r}. Better: K.set_image_data_format('channels_last').")
    config.set_image_data_format(_ORDERINGS[dim_ordering])


# ---- Keras 2 K.function --------------------------------------------------------------------------

def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 2's `K.function(inputs, outputs)`: a callable that runs a functional graph from
    `inputs` (symbolic tensors, e.g. `model.input`) to `outputs` (e.g. an inner layer's
    `.output`) on arrays and returns numpy arrays, as old feature-extraction code uses it.
    `K.learning_phase()` among the inputs takes 0 (inference) or 1 (training) when called."""
    from lamina.models.functional import Functional
    from lamina.symbolic.keras_tensor import KerasTensor

    warnings.warn("K.function() is Keras 2; build a model instead: "
                  "keras.Model(inputs, outputs).predict(x).",
                  DeprecationWarning, stacklevel=user_stacklevel())
    if updates:
        raise ValueError("K.function(updates=...) is TensorFlow 1 graph code, which lamina does "
                         "not run; update variables in a train_step or with variable.assign().")
    listed = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    phase = [k for k, x in enumerate(listed) if not isinstance(x, KerasTensor)]
    graph = Functional([x for x in listed if isinstance(x, KerasTensor)], outputs)

    def run(values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        training = bool(values[phase[0]]) if phase else False
        arrays = [v for k, v in enumerate(values) if k not in phase]
        with torch.no_grad():
            result = graph(arrays if len(arrays) > 1 else arrays[0], training=training)
        if isinstance(outputs, (list, tuple)) and not isinstance(result, (list, tuple)):
            result = [result]  # (a model unwraps `outputs=[y]`; K.function returns the list)
        return tree.map_structure(lambda t: t.detach().cpu().numpy(), result)

    return run
