"""`NoHostSync`: fail loudly when code inside the block waits for the accelerator.

Per-step code (metric updates, optimizer steps) must not read tensor values on the host: on a
GPU each read stalls the pipeline. Inside the block every tensor -> Python conversion raises.
(Boolean-mask indexing syncs too but does not go through these methods.)
"""

import torch

_CONVERSIONS = ("item", "tolist", "__bool__", "__float__", "__int__", "__index__", "numpy", "cpu",
                "nonzero")


class NoHostSync:
    def __enter__(self):
        self._saved = {name: getattr(torch.Tensor, name) for name in _CONVERSIONS}

        def refuse(*args, **kwargs):
            raise AssertionError("host sync (a tensor value was read on the host)")

        for name in _CONVERSIONS:
            setattr(torch.Tensor, name, refuse)
        return self

    def __exit__(self, *exc):
        for name, method in self._saved.items():
            setattr(torch.Tensor, name, method)
