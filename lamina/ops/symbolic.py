"""Let ops take symbolic tensors: `lamina.ops.concatenate([x, y])` inside the functional API.

`keras_op` wraps an op so that a call with any KerasTensor argument records an `OpLayer` node
(whose output shape comes from running the op on the meta device) instead of computing. Calls
on real tensors go straight to the op after one cheap scan of the arguments.
"""

import functools

from lamina.layers.keras_tensor import KerasTensor
from lamina.utils import tree


def keras_op(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _any_symbolic(args) or (kwargs and _any_symbolic(kwargs.values())):
            return symbolic_apply(fn, args, kwargs)
        return fn(*args, **kwargs)

    return wrapper


def _any_symbolic(values):
    for value in values:
        if isinstance(value, KerasTensor):
            return True
        if isinstance(value, (list, tuple)) and any(isinstance(v, KerasTensor) for v in value):
            return True
    return False


def symbolic_apply(fn, args, kwargs):
    from lamina.layers.core.op_layer import OpLayer

    symbolic = [x for x in tree.flatten((args, kwargs)) if isinstance(x, KerasTensor)]
    layer = OpLayer(fn, args, kwargs)
    return layer(symbolic)
