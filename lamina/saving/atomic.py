"""Every file lamina writes goes to a temporary name first and is renamed into place.

The guarantees (docs/guides/saving_and_loading.md, "What a failed save leaves behind"):

* The target is always either the previous complete file or the new complete file: bytes go to
  a temporary file in the target's directory, are flushed to disk (`fsync`), and the temporary
  is renamed onto the target with `os.replace`, which is atomic within a directory. Two
  processes saving the same path at once each rename a complete file: the last rename wins.
* A save that fails (disk full, file size limit, read-only or missing directory, ...) removes
  its temporary and raises an `OSError` that names the target and says what went wrong.
* A process killed mid-save (SIGKILL, power loss) cannot clean up: its temporary stays, named
  `.<target name>.<8 random characters>.tmp` (a hidden file beside the target). The next save
  to the same target removes such leftovers. A writer holds a lock on its temporary while it
  lives, so only temporaries whose writer has died are removed, never one that a concurrent
  save is still writing. The lock is a Linux open-file-description lock on one byte far past
  the data: unlike a whole-file `flock` it does not stop readers that lock the file themselves
  (HDF5 does) from opening the new file in the moment between the rename and the writer closing
  it. Without such locks (other systems), leftovers stay and are never touched.

Formats whose writer is not a plain stream of `write` calls (h5py, `torch.save`) are assembled
in memory first and written here in one go: h5py reports a failed write as a RuntimeError from
deep inside the HDF5 library (and can crash the interpreter on a full disk), and `torch.save`
turns it into a RuntimeError about zip positions. Written from memory, a full disk is an
ordinary OSError.
"""

import contextlib
import errno
import io
import os
import re
import struct
import tempfile

try:
    import fcntl
except ImportError:  # (Windows)
    fcntl = None

_SUFFIX = ".tmp"
_LOCK_AT = 1 << 62  # the locked byte: far past any data a reader would lock
_CAN_LOCK = (fcntl is not None and hasattr(fcntl, "F_OFD_SETLK")
             and struct.calcsize("hhqqi4x") == 32)  # (Linux's 64-bit `struct flock`)


# =========================================================================== public helpers

@contextlib.contextmanager
def atomic_write(filepath, mode="wb"):
    """Yield a file object; on success its content replaces `filepath` in one step."""
    filepath = os.fspath(filepath)
    with explained_errors(filepath), _temporary(filepath) as (handle, temporary):
        with os.fdopen(handle, mode, closefd=False) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _replace(temporary, filepath)


@contextlib.contextmanager
def atomic_path(filepath):
    """For writers that need a file name: yields a temporary path, renamed on success."""
    filepath = os.fspath(filepath)
    with explained_errors(filepath), _temporary(filepath) as (handle, temporary):
        yield temporary
        with open(temporary, "rb+") as f:  # the writer may have closed it without syncing
            os.fsync(f.fileno())
        _replace(temporary, filepath)


def write_bytes(filepath, data):
    """Replace `filepath` with `data` (bytes or a buffer), atomically."""
    with atomic_write(filepath) as f:
        f.write(data)


@contextlib.contextmanager
def h5_file(filepath):
    """Yield a writable `h5py.File` built in memory, written to `filepath` when the block ends
    without an error."""
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        yield f
    write_bytes(filepath, buffer.getbuffer())


def torch_save(obj, filepath):
    """`torch.save(obj, filepath)`, atomically, with disk errors as a clear OSError."""
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes(filepath, buffer.getbuffer())


def make_directories(directory, filepath=None):
    """`os.makedirs(directory, exist_ok=True)`, failing with a message naming what blocks it."""
    # (a trailing separator makes `directory` itself the first folder checked for a file)
    with explained_errors(filepath or os.path.join(directory, "")):
        os.makedirs(directory, exist_ok=True)


def temporary_pattern(filepath):
    """The names of `filepath`'s temporaries, as a compiled regular expression (for tests)."""
    base = _stem(os.path.basename(os.fspath(filepath)))
    # `tempfile.mkstemp` draws 8 characters from [a-z0-9_].
    return re.compile(re.escape(f".{base}.") + r"[a-z0-9_]{8}" + re.escape(_SUFFIX))


def _stem(base):
    """The target's name as its temporaries start with it: shortened so that the temporary's
    name fits where the target's does (255 bytes on most file systems)."""
    return base[:200]


# =========================================================================== the temporary

@contextlib.contextmanager
def _temporary(filepath):
    directory, base = os.path.split(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    _remove_abandoned(directory, filepath)  # first: a full disk may be full of them
    handle, temporary = _create_locked(directory, base)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(handle, _mode_for(filepath))
        yield handle, temporary
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    finally:
        os.close(handle)  # (releases the lock, after the rename on success)


def _create_locked(directory, base):
    """A new temporary, open and exclusively locked for as long as this writer lives."""
    while True:
        handle, temporary = tempfile.mkstemp(prefix=f".{_stem(base)}.", suffix=_SUFFIX,
                                             dir=directory)
        if not _CAN_LOCK:
            return handle, temporary
        try:
            _lock(handle, fcntl.F_WRLCK, wait=True)  # a cleaner holds it for a moment at most
        except OSError:  # a file system without locks: no cleaning will touch it either
            return handle, temporary
        try:
            ours = os.path.samestat(os.stat(temporary), os.fstat(handle))
        except FileNotFoundError:
            ours = False
        if ours:
            return handle, temporary
        # Another save's cleaner took the fresh file for a dead writer's and removed it (it could
        # lock it between mkstemp and our lock): take another name.
        os.close(handle)


def _lock(handle, kind, wait):
    """An open-file-description lock on the one byte at `_LOCK_AT`: it conflicts between two
    opens of the file, also within one process, and goes away when the writer dies."""
    command = fcntl.F_OFD_SETLKW if wait else fcntl.F_OFD_SETLK
    fcntl.fcntl(handle, command, struct.pack("hhqqi4x", kind, os.SEEK_SET, _LOCK_AT, 1, 0))


def _remove_abandoned(directory, filepath):
    """Remove the temporaries of `filepath` whose writer died (no one holds their lock)."""
    if not _CAN_LOCK:
        return
    pattern = temporary_pattern(filepath)
    try:
        names = [n for n in os.listdir(directory) if pattern.fullmatch(n)]
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        try:
            handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue  # gone meanwhile (renamed into place or cleaned by another save)
        try:
            _lock(handle, fcntl.F_RDLCK, wait=False)  # fails while the writer holds its lock
            # Locked: its writer is dead, or has not locked it yet (it will notice the removal
            # and take another name). Remove it only if the name still means this file.
            if os.path.samestat(os.stat(path), os.fstat(handle)):
                os.remove(path)
        except OSError:
            pass  # a live writer holds it, or it went away: leave it
        finally:
            os.close(handle)


def _replace(temporary, filepath):
    os.replace(temporary, filepath)
    _sync_directory(os.path.dirname(os.path.abspath(filepath)))


def _sync_directory(directory):
    """Make the rename itself durable (a power loss right after keeps the new file)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _mode_for(filepath):
    """mkstemp creates 0600 files; a saved model gets the permissions `open()` would give it
    (the existing file's, or 0666 less the umask), as Keras's files have."""
    try:
        return os.stat(filepath).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # (no way to read it without setting it elsewhere)
    os.umask(mask)
    return mask


# =========================================================================== errors

_REASONS = {
    errno.ENOSPC: "the disk is full (no space left on device). Free some space or save to "
                  "another disk",
    errno.EFBIG: "the file size limit was reached: the file would be larger than this process "
                 "may write (see `ulimit -f`) or than the file system allows. Raise the limit or "
                 "save to another file system",
    errno.EROFS: "the file system is read-only. Save to a writable directory",
    errno.EISDIR: "it is a directory. Give the name of a file (inside it, for example)",
    errno.ENOENT: "its directory does not exist. Create it first",
}
if hasattr(errno, "EDQUOT"):
    _REASONS[errno.EDQUOT] = ("the disk quota was exceeded. Free some space or save to another "
                              "disk")


@contextlib.contextmanager
def explained_errors(filepath, verb="save", outcome=None):
    """Re-raise an OSError about the target, its directory or its temporary as an OSError (of the
    same kind and errno) whose message names the target and says what to do. Errors about
    other files (an asset a layer reads while saving) pass through unchanged.

    `verb` completes "Could not ... '<file>'"; `outcome` replaces the sentence saying what
    became of the previous file (for writers that append instead of replacing)."""
    try:
        yield
    except OSError as error:
        if not _about_target(error, filepath):
            raise
        code = error.errno
        if _file_in_the_way(filepath) is not None:
            code = errno.ENOTDIR  # (makedirs says EEXIST when the directory itself is a file)
        raise OSError(code, _message(error, filepath, verb, outcome)) from error


def _about_target(error, filepath):
    if error.filename is None:
        return True  # a write or fsync on the temporary's handle
    named = os.path.abspath(os.fspath(error.filename))
    target = os.path.abspath(filepath)
    directory = os.path.dirname(target)
    is_ancestor = directory == named or directory.startswith(named.rstrip(os.sep) + os.sep)
    is_temporary = os.path.basename(named).startswith(f".{_stem(os.path.basename(target))}.")
    return named == target or is_ancestor or is_temporary


def _message(error, filepath, verb, outcome):
    directory = os.path.dirname(os.path.abspath(filepath))
    blocker = _file_in_the_way(filepath)
    if blocker is not None:
        reason = (f"'{blocker}' is a file, not a directory, so nothing can be saved under it. "
                  "Choose another directory or move that file")
    elif error.errno in _REASONS:
        reason = _REASONS[error.errno]
    elif error.errno in (errno.EACCES, errno.EPERM):
        reason = (f"permission denied: this process may not create files in '{directory}' "
                  "(or replace the file there). Save to a directory you can write to")
    else:
        reason = error.strerror or str(error)
    if outcome is None:
        outcome = ("The previous file there is unchanged." if os.path.isfile(filepath)
                   else "Nothing was written.")
    return f"Could not {verb} '{filepath}': {reason}. {outcome}"


def _file_in_the_way(filepath):
    """The deepest existing folder of `filepath`'s that is not a directory, if any, spelled as
    the user spelled it (relative paths stay relative)."""
    path = os.path.dirname(os.fspath(filepath))
    while path:
        if os.path.lexists(path):
            return None if os.path.isdir(path) else path
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent
    return None
