"""`get_file`: download a file once, keep it in a cache, check its hash, extract archives.

Where files go: `<cache>/<cache_subdir>/<fname>`, `<cache>` being, by priority, the `cache_dir`
argument, `$LAMINA_HOME`, `$KERAS_HOME`, then `~/.keras`. The default is Keras's own cache, so data
sets and weights a Keras user already downloaded are found and not fetched again. An unwritable
cache falls back to `<tempdir>/.keras`, as Keras does.

How a download happens: bytes go to `<target>.part`; once complete and matching the expected
hash, the part file is renamed onto the target (`os.replace`, atomic), so the cache never holds a
truncated or corrupted file under its real name. An interrupted download leaves its part file,
and the next call asks the server for the rest (an HTTP `Range` request) when it allows that.
The part file keeps a fixed name to be found again, which is why `lamina.saving.atomic`'s
randomly named temporary files are not used here.

Archives are checked before anything is written: a member whose path is absolute or climbs out
with `..`, and any link, device or FIFO member, makes the extraction fail with an error naming
it. Extraction goes to a temporary folder moved into place at the end.
"""

import hashlib
import http.client
import os
import re
import shutil
import stat
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings

from lamina.registry.export import keras_export

_CHUNK_SIZE = 1 << 16
_TIMEOUT_SECONDS = 60  # a stalled connection fails (and can resume later) instead of hanging


class DownloadError(OSError):
    """A file could not be fetched from its origin (the message says where to put it by hand)."""


# ---- the cache ---------------------------------------------------------------------------------

def cache_root(cache_dir=None):
    """The writable folder that downloads live under (see the module docstring for the order)."""
    if cache_dir is None:
        cache_dir = (os.environ.get("LAMINA_HOME") or os.environ.get("KERAS_HOME")
                     or os.path.join("~", ".keras"))
    root = os.path.expanduser(os.fspath(cache_dir))
    if _is_writable_dir(root):
        return root
    return os.path.join(tempfile.gettempdir(), ".keras")


def _is_writable_dir(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


def _file_name(fname, origin):
    if fname:
        fname = os.fspath(fname)
        if os.sep in fname or (os.altsep and os.altsep in fname):
            raise ValueError(
                "`fname` is a file name, not a path: to choose the folder, pass `cache_dir` "
                f"(and `cache_subdir`). Received: fname={fname!r}"
            )
        return fname
    name = os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(
            f"Cannot derive a file name from origin={origin!r} (its path has no last "
            "component): pass `fname`."
        )
    return name


def _targets(fname, given_fname, datadir, extract):
    """(where the download is stored, where it is extracted or None), named as Keras names them.

    Keras's rule for archives: a `fname` given with an extension (`data.tar.gz`) is the archive's
    name and `data_extracted` the folder; otherwise `fname` names the folder and the archive is
    stored next to it as `<fname>_archive`.
    """
    if not extract:
        return os.path.join(datadir, fname), None
    if given_fname and "." in fname:
        stem = fname[: fname.find(".")]
        return os.path.join(datadir, fname), os.path.join(datadir, f"{stem}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


# ---- hashes ------------------------------------------------------------------------------------

def _hasher(algorithm, file_hash=None):
    """hashlib object for `algorithm`; "auto" means sha256 for a 64-digit hash, else md5 (Keras)."""
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f"Unknown hash algorithm: {algorithm!r}. Use 'sha256', 'md5' or 'auto' (sha256 "
            "when the expected hash has 64 hex digits, md5 otherwise)."
        )
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None
                                 and len(str(file_hash)) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of a file's content.

    Args:
        fpath: path of the file.
        algorithm: "sha256", "md5", "auto" (md5, since there is no hash to recognize: Keras's
            meaning) or a `hashlib` hash object to feed.
        chunk_size: bytes read at a time.

    Returns:
        The digest as a string of hex digits.
    """
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file's sha256 or md5 digest equals `file_hash`.

    Args:
        fpath: path of the file.
        file_hash: the expected hex digest.
        algorithm: "sha256", "md5" or "auto" (sha256 if `file_hash` has 64 hex digits, else md5).
        chunk_size: bytes read at a time.
    """
    digest = hash_file(fpath, _hasher(algorithm, file_hash), chunk_size)
    return digest.lower() == str(file_hash).lower()


def _algorithm_name(algorithm, file_hash):
    return _hasher(algorithm, file_hash).name


# ---- get_file ----------------------------------------------------------------------------------

@keras_export("utils.get_file")
def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Downloads a file from a URL unless it is already in the cache, and returns its path.

    The file is stored as `<cache>/<cache_subdir>/<fname>`. `<cache>` is `cache_dir` if given,
    else `$LAMINA_HOME`, else `$KERAS_HOME`, else `~/.keras` (Keras's cache, so files Keras
    already downloaded are reused; `LAMINA_HOME` wins when both variables are set). If that
    folder cannot be written, `<tempdir>/.keras` is used.

    Never download a file you do not trust; pass `file_hash` (the output of `sha256sum`) so that
    a tampered or damaged file is rejected.

    Args:
        fname: the file's name in the cache; defaults to the last component of `origin`'s path.
            With `extract=True`, a name without extension names the extraction folder.
        origin: the URL to download from (`https://`, `http://`, `ftp://` or `file://`).
        untar: deprecated, use `extract=True`: extract the file as a tar archive.
        md5_hash: deprecated, use `file_hash`: the file's expected md5 digest.
        file_hash: the file's expected sha256 (or md5) digest; a cached file that does not match
            is downloaded again, a download that does not match raises `ValueError`.
        cache_subdir: folder under the cache (an absolute path is used as is).
        hash_algorithm: "sha256", "md5" or "auto" (sha256 for a 64-digit `file_hash`, else md5).
        extract: whether to extract the file (tar, tar.gz, tar.bz2, tar.xz or zip). It is
            extracted after each download, and when its folder is missing.
        archive_format: "auto" (try tar, then zip), "tar", "zip", a list of those, or None.
        cache_dir: the cache folder, instead of the default described above.
        force_download: download again even when the file is already cached.

    Returns:
        The path of the file; with `extract=True` (or `untar=True`), the path of the folder it
        was extracted into.

    Raises:
        DownloadError (an `OSError`): the download failed; the message names the URL and where
            to put the file by hand.
        ValueError: the downloaded file does not match `file_hash`, or an archive member would
            land outside the extraction folder or is a link or device.

    Example:

    ```python
    path = lamina.utils.get_file(
        origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    )
    ```
    """
    if origin is None:
        raise ValueError("get_file needs `origin`, the URL of the file to download.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if file_hash is not None:
        _hasher(hash_algorithm, file_hash)  # reject an unknown algorithm before any work
    datadir = os.path.join(cache_root(cache_dir), os.fspath(cache_subdir))
    os.makedirs(datadir, exist_ok=True)
    name = _file_name(fname, origin)
    download_target, extraction_dir = _targets(name, fname, datadir, extract or untar)

    downloaded = False
    if force_download or _needs_download(download_target, file_hash, hash_algorithm):
        _download(origin, download_target, file_hash, hash_algorithm, restart=force_download)
        downloaded = True

    if extraction_dir is None:
        return download_target
    archive_format = "tar" if untar else archive_format
    if downloaded or not os.path.exists(extraction_dir):
        if not _extract(download_target, extraction_dir, archive_format):
            warnings.warn(
                f"get_file: '{download_target}' is not a {_format_names(archive_format)} "
                f"archive, so nothing was extracted into '{extraction_dir}'. Pass "
                "`extract=False` to get the file itself, or the right `archive_format`.",
                stacklevel=2,
            )
    return extraction_dir


def _needs_download(target, file_hash, algorithm):
    if not os.path.exists(target):
        return True
    if file_hash is None or validate_file(target, file_hash, algorithm):
        return False
    print(f"The cached file '{target}' does not match the expected "
          f"{_algorithm_name(algorithm, file_hash)} hash {file_hash} (incomplete or outdated): "
          "downloading it again.")
    return True


# ---- downloading -------------------------------------------------------------------------------

def _download(origin, target, file_hash, algorithm, restart=False):
    partial = target + ".part"
    if restart and os.path.exists(partial):
        os.remove(partial)
    resuming = os.path.exists(partial) and os.path.getsize(partial)
    print(f"Downloading data from {origin}"
          + (f" (resuming after {resuming} bytes)" if resuming else ""))
    try:
        _fetch_into(origin, partial)
    except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, cut connections
        raise DownloadError(_manual_download_message(origin, target, partial, error)) from error
    if file_hash is not None and not validate_file(partial, file_hash, algorithm):
        os.remove(partial)  # a resumed download may have joined two versions: start afresh
        raise ValueError(
            f"The file downloaded from {origin} does not match the expected "
            f"{_algorithm_name(algorithm, file_hash)} hash {file_hash}: it is incomplete, "
            "corrupted or was changed on the server. It was deleted; call again to retry."
        )
    os.replace(partial, target)


def _fetch_into(origin, partial):
    """Writes `origin`'s bytes to `partial`, continuing an earlier partial download if possible."""
    offset = os.path.getsize(partial) if os.path.exists(partial) else 0
    response = _open(origin, offset)
    if offset and not _continues_at(response, offset):
        if _status(response) == 206:  # a piece, but not the one asked for: ask for everything
            response.close()
            response = _open(origin, 0)
        offset = 0  # the server sends the whole file: the part file is overwritten
    with response:
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        with open(partial, "ab" if offset else "wb") as f:
            _copy_with_progress(response, f, offset, total)
            f.flush()
            os.fsync(f.fileno())
    received = os.path.getsize(partial)
    if total is not None and received < total:
        raise urllib.error.ContentTooShortError(
            f"the connection closed after {received} of {total} bytes", None)


def _open(origin, offset):
    """The server's response, asked from byte `offset` on (an HTTP Range request) if not 0."""
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        return urllib.request.urlopen(urllib.request.Request(origin, headers=headers),
                                      timeout=_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        if error.code != 416 or not offset:
            raise
        # "Range not satisfiable": the part file is no prefix of this file. Ask for all of it.
        error.close()
        return _open(origin, 0)


def _status(response):
    return getattr(response, "status", None) or response.getcode()


def _continues_at(response, offset):
    content_range = response.headers.get("Content-Range", "")
    return _status(response) == 206 and re.match(rf"bytes {offset}-", content_range) is not None


def _copy_with_progress(response, f, current, total):
    from lamina.utils.progbar import Progbar  # torch-importing; only needed while downloading

    progbar = Progbar(total)
    while chunk := response.read(_CHUNK_SIZE):
        f.write(chunk)
        current += len(chunk)
        progbar.update(current, finalize=False)
    progbar.update(current, finalize=True)


def _manual_download_message(origin, target, partial, error):
    message = (
        f"Could not download {origin}: {_describe(error)}.\n"
        f"Without network access, download that URL on another machine and copy the file to:\n"
        f"    {target}\n"
        f"(the cache folder is chosen by $LAMINA_HOME, $KERAS_HOME or `cache_dir`)."
    )
    if os.path.exists(partial) and os.path.getsize(partial):
        message += (f"\nThe {os.path.getsize(partial)} bytes received so far are kept in "
                    f"'{partial}'; the next call resumes from there when the server allows it.")
    return message


def _describe(error):
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP error {error.code} ({error.reason})"
    if isinstance(error, urllib.error.URLError):
        return f"{error.reason}"
    return f"{type(error).__name__}: {error}"


# ---- archives ----------------------------------------------------------------------------------

def _archive_kinds(archive_format):
    if not archive_format:
        return []
    kinds = ["tar", "zip"] if archive_format == "auto" else archive_format
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    for kind in kinds:
        if kind not in ("tar", "zip"):
            raise ValueError(
                f"Unknown archive_format {kind!r}: use 'tar', 'zip', 'auto' (both) or None."
            )
    return kinds


def _format_names(archive_format):
    return " or ".join(_archive_kinds(archive_format)) or "known"


def _extract(archive, extraction_dir, archive_format):
    """Extracts `archive` into `extraction_dir` (created or updated); False if not an archive."""
    import tarfile
    import zipfile

    for kind in _archive_kinds(archive_format):
        if kind == "tar" and tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tar:
                _into_place(archive, extraction_dir, lambda folder: _extract_tar(tar, folder))
            return True
        if kind == "zip" and zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as archive_file:
                _into_place(archive, extraction_dir,
                            lambda folder: _extract_zip(archive_file, folder))
            return True
    return False


def _into_place(archive, extraction_dir, extract_into):
    """Extracts into a temporary folder beside `extraction_dir`, then moves the result in."""
    parent = os.path.dirname(os.path.abspath(extraction_dir))
    os.makedirs(parent, exist_ok=True)
    temporary = tempfile.mkdtemp(prefix=".tmp-extract-", dir=parent)
    try:
        extract_into(temporary)
        if not os.path.exists(extraction_dir):
            os.replace(temporary, extraction_dir)
            return
        # Extracting again (the archive changed): replace the entries the archive holds and keep
        # whatever else the folder contains, as Keras does.
        for entry in os.listdir(temporary):
            destination = os.path.join(extraction_dir, entry)
            if os.path.isdir(destination) and not os.path.islink(destination):
                shutil.rmtree(destination)
            elif os.path.lexists(destination):
                os.remove(destination)
            os.replace(os.path.join(temporary, entry), destination)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _check_member_name(archive, name):
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise ValueError(
            f"Refusing to extract '{archive}': its member '{name}' would be written outside the "
            "extraction folder (absolute path or '..'). The archive may be malicious; nothing "
            "was extracted."
        )


def _extract_tar(tar, folder):
    members = tar.getmembers()
    for member in members:
        _check_member_name(tar.name, member.name)
        if not (member.isreg() or member.isdir()):
            kind = ("symbolic link" if member.issym() else "hard link" if member.islnk()
                    else "device or FIFO")
            raise ValueError(
                f"Refusing to extract '{tar.name}': its member '{member.name}' is a {kind}; only "
                "regular files and folders are extracted. Nothing was extracted."
            )
    # Python's own "data" filter (3.10.12+, 3.11.4+) checks the same things once more.
    supported = hasattr(tar, "extraction_filter")
    tar.extractall(folder, members=members, **({"filter": "data"} if supported else {}))


def _extract_zip(archive_file, folder):
    for info in archive_file.infolist():
        _check_member_name(archive_file.filename, info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ValueError(
                f"Refusing to extract '{archive_file.filename}': its member '{info.filename}' is "
                "a symbolic link; only regular files and folders are extracted. Nothing was "
                "extracted."
            )
    archive_file.extractall(folder)

