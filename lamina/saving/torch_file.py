"""Reading a file written by `torch.save` without running code from it, and saying in plain
words what is wrong when it cannot be read.

`torch.load(..., weights_only=True)` refuses pickled Python objects but reports an empty,
truncated or foreign file with the same errors (UnpicklingError, RuntimeError about zip
internals, EOFError). The file's first bytes tell these cases apart.
"""

import errno
import os
import pickle
import warnings
import zipfile

import torch


class RefusedContent(ValueError):
    """A genuine torch.save file that holds Python objects besides plain values and tensors."""


def load(filepath, what="a PyTorch file (written by torch.save)"):
    """The file's content, read with `weights_only=True` on the CPU.

    Raises FileNotFoundError / IsADirectoryError naming the path, `RefusedContent` for a file
    holding pickled objects, and ValueError saying what the file is for any other unreadable
    file (`what` names what was expected, for that message)."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(errno.ENOENT, f"No such file: '{filepath}'.")
    if os.path.isdir(filepath):
        raise IsADirectoryError(errno.EISDIR,
                                f"'{filepath}' is a directory, not {what}. Give the file's path.")
    try:
        with warnings.catch_warnings():  # torch's note about a plain pickle's protocol
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            return torch.load(filepath, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, AttributeError,
            KeyError) as error:
        refused = isinstance(error, pickle.UnpicklingError) and _is_torch_file(filepath)
        if refused:
            raise RefusedContent(
                f"'{filepath}' holds Python objects besides tensors and plain values, so loading "
                "it was refused for safety (unpickling can run code from the file; nothing was "
                "executed)."
            ) from error
        raise ValueError(
            f"'{filepath}' is not {what}: {_describe(filepath)}. It may be truncated, "
            "corrupted, or a different kind of file."
        ) from error


def _is_torch_file(filepath):
    """torch.save's zip layout (`<name>/data.pkl`), or its pre-1.6 plain pickle."""
    if zipfile.is_zipfile(filepath):
        with zipfile.ZipFile(filepath) as archive:
            return any(name.endswith("/data.pkl") for name in archive.namelist())
    with open(filepath, "rb") as f:
        return f.read(1) == b"\x80"  # (a pickle's protocol marker)


def _describe(filepath):
    with open(filepath, "rb") as f:
        head = f.read(8)
    if not head:
        return "it is empty"
    if zipfile.is_zipfile(filepath):
        with zipfile.ZipFile(filepath) as archive:
            names = set(archive.namelist())
        if {"config.json", "model.weights.h5"} <= names:
            return "it is a .keras model archive; load it with load_model() from a `.keras` name"
        if any(name.endswith("/data.pkl") for name in names):
            return "its content is damaged"
        return "it is a zip archive that torch.save did not write"
    if head.startswith(b"PK"):
        return "it is a damaged (truncated?) zip archive, as torch.save writes"
    if head.startswith(b"\x89HDF"):
        return "it is an HDF5 file; weights in HDF5 load from a `.weights.h5` or `.h5` name"
    return f"it starts with bytes {head!r}"
