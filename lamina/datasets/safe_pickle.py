"""Reading the pickles inside downloaded data sets without letting them run code.

Two data sets need pickle: IMDB and Reuters store their variable-length reviews as numpy object
arrays in `.npz` files (numpy saves those as a pickle stream), and CIFAR's batches are pickled
dicts of a numpy array and label lists. Unpickling an untrusted file can call any importable
function (`os.system` through `__reduce__`), so these files are read with an unpickler that
resolves only the few numpy globals needed to rebuild an array; anything else is refused.
Lists, dicts, ints, strings and bytes need no global at all.
"""

import io
import pickle
import zipfile

import numpy as np

try:  # numpy >= 2 (numpy.core still imports there, but warns)
    from numpy._core import multiarray as _multiarray
    from numpy._core import numeric as _numeric
except ImportError:  # numpy 1.x
    from numpy.core import multiarray as _multiarray
    from numpy.core import numeric as _numeric

# (module, name) as written in the pickle -> the object it stands for. Files written under numpy 1
# name `numpy.core`, under numpy 2 `numpy._core`; both map to this numpy's functions directly,
# so numpy 2 does not warn about the old module name.
_ALLOWED = {}
for _prefix in ("numpy.core", "numpy._core"):
    _ALLOWED[(f"{_prefix}.multiarray", "_reconstruct")] = _multiarray._reconstruct
    # Pickle protocol 5 rebuilds numeric arrays from a buffer with this one.
    _ALLOWED[(f"{_prefix}.numeric", "_frombuffer")] = _numeric._frombuffer
_ALLOWED[("numpy", "ndarray")] = np.ndarray
_ALLOWED[("numpy", "dtype")] = np.dtype


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays and plain Python containers, and nothing else."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to load '{module}.{name}' from a data set file: only numpy arrays, "
                "lists, dicts, numbers and strings are allowed. The file is damaged or was "
                "tampered with; delete it from the cache so that it is downloaded again."
            ) from None


def load_pickle(file, encoding="ASCII"):
    """Unpickles from an open binary file with `RestrictedUnpickler`."""
    return RestrictedUnpickler(file, encoding=encoding).load()


def load_npz(path):
    """The arrays of an `.npz` file as a dict; object arrays are rebuilt by the safe unpickler.

    Replaces `np.load(path, allow_pickle=True)`, which would run whatever the file asks.
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[: -len(".npy")]] = _read_npy(io.BytesIO(raw.read()))
    return arrays


def _read_npy(stream):
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        _, _, dtype = np.lib.format.read_array_header_1_0(stream)
    else:  # 2.0 and 3.0 share the header layout (3.0 only allows utf-8 in it)
        _, _, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:
        # What follows the header is a pickle of the whole array.
        return load_pickle(stream, encoding="latin1")
    stream.seek(0)
    return np.lib.format.read_array(stream, allow_pickle=False)
