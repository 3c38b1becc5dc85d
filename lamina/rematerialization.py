"""`lamina.remat` and `lamina.RematScope` (defined here): gradient checkpointing with
torch.utils.checkpoint, for a function or for the layers created inside a scope."""

import collections
import functools
import math
import threading

import torch
import torch.utils.checkpoint
from lamina.registry.export import keras_export


@keras_export("remat")
def remat(f):
    """Wrap `f` (a function or a layer) so its activations are recomputed in the backward
    pass instead of being stored: less memory for more compute. Outside autograd (no input
    needs a gradient, or `torch.no_grad()`) it just calls `f`."""
    if not callable(f):
        raise TypeError(f"remat() expects a function or a layer; got {f!r}.")

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        if not torch.is_grad_enabled():
            return f(*args, **kwargs)
        return torch.utils.checkpoint.checkpoint(f, *args, use_reentrant=False, **kwargs)

    return wrapped


RematMode = collections.namedtuple(
    "RematMode", ["mode", "output_size_threshold", "layer_names"])
_MODES = ("full", "activations", "larger_than", "list_of_layers", None)


class _ScopeStack(threading.local):
    def __init__(self):
        self.scopes = []


_STACK = _ScopeStack()


@keras_export("RematScope")
class RematScope:
    """`with RematScope(mode="full"):` layers *created* inside recompute their activations in
    the backward pass (gradient checkpointing) instead of storing them. Modes, as in Keras:
    "full" (every such layer), "activations" (only the activation function of layers that
    have one), "larger_than" (layers whose output has more than `output_size_threshold`
    elements), "list_of_layers" (layers named in `layer_names`), None (none: e.g. inside an
    outer scope)."""

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(
                f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', "
                "'larger_than', 'list_of_layers', or None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []

    def __enter__(self):
        _STACK.scopes.append(self)
        return self

    def __exit__(self, *exc_info):
        _STACK.scopes.remove(self)


def get_current_remat_mode():
    """The innermost open RematScope's settings (a RematMode), or None."""
    if not _STACK.scopes:
        return None
    scope = _STACK.scopes[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def rematerialized_call(layer, layer_call, args, kwargs):
    """`layer_call` as `layer`'s remat mode wants it (Keras's `Layer.rematerialized_call`)."""
    mode = layer._remat_mode
    if not mode or not mode.mode:
        return layer_call
    if mode.mode == "full":
        return remat(layer_call)
    if mode.mode == "list_of_layers":
        return remat(layer_call) if layer.name in mode.layer_names else layer_call
    if mode.mode == "activations":
        original = getattr(layer, "activation", None)
        if original is None or isinstance(original, torch.nn.Module) or \
                layer.__dict__.get("_linear_activation"):
            return layer_call  # (no activation function, or a linear one: nothing to recompute)

        @functools.wraps(layer_call)
        def with_recomputed_activation(*call_args, **call_kwargs):
            layer.activation = remat(original)
            try:
                return layer_call(*call_args, **call_kwargs)
            finally:
                layer.activation = original

        return with_recomputed_activation
    # "larger_than": by the number of output elements (unknown dims count as 1), found once
    # per input shape by shape inference.
    shapes = tuple(tuple(t.shape) for t in args if isinstance(t, torch.Tensor))
    sizes = layer.__dict__.setdefault("_remat_output_sizes", {})
    if shapes not in sizes:
        spec = layer.compute_output_spec(*args, **kwargs)
        sizes[shapes] = sum(math.prod(d or 1 for d in t.shape)
                            for t in _flatten(spec) if hasattr(t, "shape"))
    size = sizes[shapes]
    return remat(layer_call) if size and size > mode.output_size_threshold else layer_call


def _flatten(structure):
    from lamina import tree

    return tree.flatten(structure)
