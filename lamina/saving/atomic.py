"""Every file lamina writes goes to a temporary name first and is renamed into place.

A crash or a full disk mid-write leaves the previous file untouched (and no half-written one),
because `os.replace` within a directory is atomic.
"""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(filepath, mode="wb"):
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(filepath),
                                         dir=directory)
    try:
        with os.fdopen(handle, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


@contextlib.contextmanager
def atomic_path(filepath):
    """For writers that need a file name (h5py): yields a temporary path, renamed on success."""
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(filepath),
                                         dir=directory)
    os.close(handle)
    try:
        yield temporary
        os.replace(temporary, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
