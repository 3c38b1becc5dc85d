"""Where the tensors that lamina creates go: Keras's torch backend's rule.

`ops.convert_to_tensor`, `ops.arange`, `ops.zeros`, `random.normal` and the other ops that make
a tensor from no tensor put it on `default_device()`; ops on tensors follow their inputs.
Keras on torch puts everything on the GPU when there is one, so Keras code that builds a
constant (`ops.arange(length)` for position indices, a positional-encoding table made in
`__init__`) and adds it to a layer's input finds both on the same device. lamina does the same:

1. inside `with keras.device(name):`, that device;
2. in a multi-process job, this process's device;
3. torch's own default device, if the program changed it (`torch.set_default_device`, a
   `with torch.device(...)` block; the meta device of shape inference is one);
4. the GPU when CUDA is available, else the CPU.

`compile`/`fit` place a model by the same rule. Weights are created on the CPU and move with
their model (lamina/layers/layer.py), so a seeded model starts from the same numbers on every
machine.
"""

import contextlib

import torch

from lamina.registry.export import keras_export

_scopes = []  # the devices of the open `keras.device(...)` blocks, innermost last
_cuda = []    # torch.cuda.is_available(), asked once
_seam = []    # lamina.distribution.seam, imported on first use (that layer sits above ops)


def _process_device():
    if not _seam:
        from lamina.distribution import seam

        _seam.append(seam)
    return _seam[0].device()


def default_device():
    """The device for a tensor lamina creates from no tensor (see the module docstring)."""
    if _scopes:
        return _scopes[-1]
    process = _process_device()
    if process is not None:
        return process
    if not torch.compiler.is_compiling():
        # (Dynamo cannot trace get_default_device, and a compiled step runs in no device
        # context of its own: there the remaining rule decides, with no graph break.)
        device = torch.get_default_device()
        if device.type != "cpu":
            return device
    if not _cuda:
        _cuda.append(torch.cuda.is_available())
    return torch.device("cuda" if _cuda[0] else "cpu")


def standardize_device(name):
    """A torch.device from Keras's names: "cpu", "gpu", "gpu:1", "cuda:0", a torch.device."""
    if isinstance(name, torch.device):
        return name
    if not isinstance(name, str):
        raise ValueError(
            f"keras.device() takes a device name such as 'cpu', 'gpu' or 'gpu:1' (or a "
            f"torch.device); received {name!r}.")
    text = name.strip().lower()
    if text.startswith("/"):  # TensorFlow's "/device:GPU:0" and "/gpu:0"
        text = text.rsplit("/", 1)[-1].replace("device:", "")
    kind, _, index = text.partition(":")
    kind = {"gpu": "cuda"}.get(kind, kind)
    try:
        return torch.device(f"{kind}:{index}" if index else kind)
    except RuntimeError:
        raise ValueError(
            f"keras.device({name!r}): not a device name torch knows. Use 'cpu', 'gpu', "
            f"'gpu:<index>' or a torch.device.") from None


@keras_export("device")
@contextlib.contextmanager
def device(device_name):
    """Create the tensors of the block on `device_name` ("cpu", "gpu", "gpu:1", ...).

    Ops that make new tensors (`ops.ones`, `ops.arange`, `convert_to_tensor`, random draws) use
    it, and so do `compile`/`fit` when they place a model:

        with keras.device("cpu"):
            model.fit(x, y)   # trains on the CPU even where a GPU is available
    """
    _scopes.append(standardize_device(device_name))
    try:
        yield
    finally:
        _scopes.pop()
