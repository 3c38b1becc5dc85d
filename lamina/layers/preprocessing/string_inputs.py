"""String inputs for preprocessing layers.

torch tensors hold numbers only, so strings reach a layer as Python strings, lists of them or
numpy arrays of `str` / `bytes` / `object`. The layers that accept strings (`Hashing`,
`StringLookup`, `TextVectorization`) turn them into integer tensors on the host inside `call`;
`HostInputLayer` lets such data through `__call__` instead of converting it to a tensor first.
"""

import numpy as np
import torch

from lamina.layers.layer import Layer
from lamina.utils.strings import is_string_data  # noqa: F401 (re-exported for the layers)


def to_string_array(data, encoding="utf-8"):
    """`data` as a numpy array of Python `str` (dtype object), bytes decoded with `encoding`."""
    array = np.asarray(data, dtype=object)
    flat = [x.decode(encoding) if isinstance(x, bytes) else str(x) for x in array.ravel()]
    result = np.empty(len(flat), dtype=object)
    result[:] = flat
    return result.reshape(array.shape)


def to_host_array(data):
    """Any input (tensor, numpy array, list) as a numpy array, for layers that work on the host."""
    if isinstance(data, torch.Tensor):
        return data.detach().cpu().numpy()
    return np.asarray(data)


class HostInputLayer(Layer):
    """A layer whose `call` also accepts strings, which it converts to numbers on the host."""

    def _call_pipeline(self, *args, **kwargs):
        if args and is_string_data(args[0]):
            # Layer.__call__ would try to make a tensor of the strings: run `call` directly
            # (through torch's Module.__call__, so hooks still fire).
            if not self.built:
                self._build_from_inputs(args, kwargs)
            kwargs.pop("training", None)
            return torch.nn.Module.__call__(self, *args, **kwargs)
        return super()._call_pipeline(*args, **kwargs)
