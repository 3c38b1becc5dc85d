"""Let ops take symbolic tensors: `lamina.ops.concatenate([x, y])` inside the functional API.

`keras_op` wraps an op so that a call with any KerasTensor argument records an `OpLayer` node
(whose output shape comes from running the op on the meta device) instead of computing. Calls
on real tensors go straight to the op after one cheap scan of the arguments.
"""

import functools

from lamina.symbolic.keras_tensor import KerasTensor


# Ops whose answer for a symbolic tensor is known without running anything (no graph node).
_STATIC_OPS = {
    "shape": lambda x, *a, **k: x.shape,
    "dtype": lambda x, *a, **k: x.dtype,
    "ndim": lambda x, *a, **k: x.ndim,
    "size": lambda x, *a, **k: None if None in x.shape else _product(x.shape),
    "convert_to_tensor": lambda x, dtype=None, *a, **k: x if dtype is None or x.dtype == dtype
    else symbolic_apply(_cast_op(), (x, dtype), {}),
}


def keras_op(fn):
    static = _STATIC_OPS.get(fn.__name__)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _any_symbolic(args) or (kwargs and _any_symbolic(kwargs.values())):
            if static is not None and isinstance(args[0], KerasTensor):
                return static(*args, **kwargs)
            return symbolic_apply(fn, args, kwargs)
        return fn(*args, **kwargs)

    return wrapper


def _product(dims):
    result = 1
    for d in dims:
        result *= d
    return result


def _cast_op():
    from lamina.ops.core import cast

    return cast


def _any_symbolic(values):
    for value in values:
        if isinstance(value, KerasTensor):
            return True
        if isinstance(value, (list, tuple)) and any(isinstance(v, KerasTensor) for v in value):
            return True
    return False


def symbolic_apply(fn, args, kwargs):
    from lamina.layers.core.op_layer import apply_op

    _refuse_training_values(fn, args, kwargs)
    return apply_op(fn, args, kwargs)


def _refuse_training_values(fn, args, kwargs):
    """A symbolic tensor meeting a tensor of a running computation (one with autograd history)
    is Keras 1/2 graph code: a loss function that closes over the model's symbolic tensors
    (`z_mean` in the old variational autoencoder example). Say so, rather than failing inside
    the graph recorder."""
    import torch

    from lamina.utils import tree

    live = [v for v in tree.flatten((args, kwargs))
            if isinstance(v, torch.Tensor) and v.grad_fn is not None and not v.is_meta]
    if live:
        raise TypeError(
            f"`{getattr(fn, '__name__', fn)}` received a symbolic tensor (a KerasTensor, e.g. a "
            "layer's output in the model definition) together with a value computed while "
            "training. That is Keras 1/2 graph code, such as a loss function using the model's "
            "symbolic tensors (z_mean, z_log_var), which Keras 3 does not run either. Compute "
            "that term inside the model: a layer whose call() does self.add_loss(...) (see the "
            "VAE in the guide on writing layers and models via subclassing).")
