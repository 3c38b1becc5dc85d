"""A private download cache for each test, and writers of files in the data sets' formats.

Nothing here reaches the network: `urlopen` is replaced by one that fails loudly for anything
but `file://` URLs, so a test that would download shows up as a failure.
"""

import hashlib
import io
import pathlib
import pickle
import shutil
import struct
import urllib.request

import pytest

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "datasets"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    real_urlopen = urllib.request.urlopen

    def urlopen(request, *args, **kwargs):
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        if not url.startswith("file:"):
            raise AssertionError(f"a test tried to download {url}")
        return real_urlopen(request, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The `datasets` folder of an empty cache that lamina (through LAMINA_HOME) will use."""
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    folder = tmp_path / "home" / "datasets"
    folder.mkdir(parents=True)
    return folder


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


@pytest.fixture
def install(cache, monkeypatch):
    """Puts a file in the cache under `name` and makes `module` expect its hash.

    The real files' hashes are constants of the data set modules; pointing them at the synthetic
    file's hash lets `get_file` find and verify it exactly as it would verify a real download.
    """

    def install(module, name, source, hash_attribute="FILE_HASH", subdir=None):
        folder = cache if subdir is None else cache.parent / subdir
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        if isinstance(source, bytes):
            target.write_bytes(source)
        else:
            shutil.copyfile(source, target)
        if hash_attribute:
            monkeypatch.setattr(module, hash_attribute, sha256(target))
        return target

    return install


class _Python2Pickler(pickle._Pickler):
    """Pickles as Python 2 did for the CIFAR batch files: bytes and strings as `str` opcodes,
    numpy's functions under `numpy.core`. Read back with `encoding="bytes"`, those are bytes."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_bytes(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes

    def save_str(self, obj):  # a Python 2 `str` is bytes
        self.save_bytes(obj.encode("ascii"))

    dispatch[str] = save_str

    def save_global(self, obj, name=None):
        name = name or obj.__qualname__
        module = pickle.whichmodule(obj, name).replace("numpy._core", "numpy.core")
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[type] = save_global


@pytest.fixture
def python2_pickle():
    """`python2_pickle(obj)` -> bytes in the format of the CIFAR batch files."""

    def dumps(obj):
        buffer = io.BytesIO()
        _Python2Pickler(buffer, protocol=2).dump(obj)
        return buffer.getvalue()

    return dumps
