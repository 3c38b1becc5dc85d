"""`lamina.remat` (defined here): gradient checkpointing with torch.utils.checkpoint."""

import functools

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
