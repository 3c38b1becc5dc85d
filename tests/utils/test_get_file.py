"""`get_file`: cache location, names, hashes, resumed downloads, errors, safe extraction.

Downloads use `file://` URLs or a fake `urlopen`; nothing reaches the network.
"""

import email.message
import hashlib
import io
import os
import pathlib
import tarfile
import urllib.error
import urllib.request
import zipfile

import pytest

from lamina.utils import file_utils
from lamina.utils.file_utils import DownloadError, get_file, hash_file, validate_file

CONTENT = bytes(range(256)) * 40  # 10 KiB


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """No test touches ~/.keras: the default cache is a temporary folder."""
    monkeypatch.delenv("LAMINA_HOME", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "server" / "data.bin"
    path.parent.mkdir()
    path.write_bytes(CONTENT)
    return path


def url(path):
    return pathlib.Path(path).as_uri()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# ---- cache location and names ------------------------------------------------------------------

def test_downloads_into_cache_dir_and_reuses_the_cached_file(tmp_path, source, capsys):
    path = get_file(origin=url(source), cache_dir=tmp_path / "cache")
    assert path == str(tmp_path / "cache" / "datasets" / "data.bin")
    assert pathlib.Path(path).read_bytes() == CONTENT
    assert os.listdir(tmp_path / "cache" / "datasets") == ["data.bin"]  # no part file left
    assert f"Downloading data from {url(source)}" in capsys.readouterr().out
    source.unlink()  # the origin is gone: the cached copy is used
    assert get_file(origin=url(source), cache_dir=tmp_path / "cache") == path
    assert "Downloading" not in capsys.readouterr().out


def test_cache_is_lamina_home_then_keras_home_then_home_dot_keras(tmp_path, source, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "l"))
    assert get_file("a.bin", url(source)) == str(tmp_path / "l" / "datasets" / "a.bin")
    monkeypatch.delenv("LAMINA_HOME")
    assert get_file("a.bin", url(source)) == str(tmp_path / "k" / "datasets" / "a.bin")
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    expected = tmp_path / "user" / ".keras" / "models" / "a.bin"
    assert get_file("a.bin", url(source), cache_subdir="models") == str(expected)


def test_an_absolute_cache_subdir_is_used_as_is(tmp_path, source):
    target = tmp_path / "elsewhere"
    assert get_file("a.bin", url(source), cache_subdir=str(target)) == str(target / "a.bin")


def test_unwritable_cache_falls_back_to_the_temporary_folder(tmp_path, source, monkeypatch):
    monkeypatch.setattr(file_utils.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    readonly = str(tmp_path / "readonly")
    real_access = os.access
    monkeypatch.setattr(file_utils.os, "access",
                        lambda p, mode: False if p == readonly else real_access(p, mode))
    path = get_file("a.bin", url(source), cache_dir=readonly)
    assert path == str(tmp_path / "tmp" / ".keras" / "datasets" / "a.bin")


def test_file_name_rules():
    with pytest.raises(ValueError, match="needs `origin`"):
        get_file("a.bin")
    with pytest.raises(ValueError, match=r"not a path.*fname='sub/a.bin'"):
        get_file("sub/a.bin", "file:///x/a.bin")
    with pytest.raises(ValueError, match="Cannot derive a file name.*pass `fname`"):
        get_file(origin="https://example.com/")


# ---- hashes ------------------------------------------------------------------------------------

def test_hash_file_and_validate_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(CONTENT)
    sha, md5 = sha256(CONTENT), hashlib.md5(CONTENT).hexdigest()
    assert hash_file(path) == sha
    assert hash_file(path, "md5") == md5
    assert hash_file(path, "auto") == md5  # nothing to recognize: Keras's md5
    assert hash_file(path, hashlib.sha1(), chunk_size=7) == hashlib.sha1(CONTENT).hexdigest()
    assert validate_file(path, sha) and validate_file(path, md5)  # recognized by length
    assert validate_file(path, sha.upper())
    assert not validate_file(path, md5, algorithm="sha256")
    assert not validate_file(path, "0" * 64)
    with pytest.raises(ValueError, match="Unknown hash algorithm: 'sha1'"):
        validate_file(path, sha, algorithm="sha1")


def test_download_checked_against_file_hash(tmp_path, source):
    path = get_file("a.bin", url(source), file_hash=sha256(CONTENT), cache_dir=tmp_path)
    assert pathlib.Path(path).read_bytes() == CONTENT
    md5 = hashlib.md5(CONTENT).hexdigest()
    assert get_file("b.bin", url(source), md5_hash=md5, cache_dir=tmp_path).endswith("b.bin")


def test_a_download_that_does_not_match_the_hash_is_refused_and_removed(tmp_path, source):
    with pytest.raises(ValueError, match=r"does not match the expected sha256 hash 0{64}"):
        get_file("a.bin", url(source), file_hash="0" * 64, cache_dir=tmp_path)
    assert os.listdir(tmp_path / "datasets") == []


def test_a_cached_file_with_the_wrong_hash_is_downloaded_again(tmp_path, source, capsys):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "a.bin").write_bytes(b"truncated")
    path = get_file("a.bin", url(source), file_hash=sha256(CONTENT), cache_dir=tmp_path)
    assert pathlib.Path(path).read_bytes() == CONTENT
    assert "does not match the expected sha256 hash" in capsys.readouterr().out


def test_force_download_replaces_the_cached_file(tmp_path, source):
    get_file("a.bin", url(source), cache_dir=tmp_path)
    source.write_bytes(b"new version")
    assert pathlib.Path(get_file("a.bin", url(source), cache_dir=tmp_path)).read_bytes() == CONTENT
    path = get_file("a.bin", url(source), cache_dir=tmp_path, force_download=True)
    assert pathlib.Path(path).read_bytes() == b"new version"


# ---- resumed downloads and errors (fake server) ------------------------------------------------

class FakeResponse(io.BytesIO):
    def __init__(self, body, status=200, headers=(), fail_after=None):
        super().__init__(body)
        self.status = status
        self.headers = email.message.Message()
        self.headers["Content-Length"] = str(len(body))
        for key, value in headers:
            self.headers[key] = value
        self.fail_after = fail_after

    def getcode(self):
        return self.status

    def read(self, size=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection reset by peer")
        if self.fail_after is not None:
            size = min(size, self.fail_after - self.tell())
        return super().read(size)


class FakeServer:
    """Serves CONTENT, honouring `Range` unless told not to; records the requests."""

    def __init__(self, ranges=True, fail_after=None):
        self.ranges, self.fail_after, self.requests = ranges, fail_after, []

    def __call__(self, request, timeout=None):
        self.requests.append(request)
        fail_after, self.fail_after = self.fail_after, None  # only the first response fails
        header = request.get_header("Range")
        if header and self.ranges:
            start = int(header.removeprefix("bytes=").removesuffix("-"))
            if start >= len(CONTENT):
                raise urllib.error.HTTPError(request.full_url, 416, "Range Not Satisfiable",
                                             {}, None)
            return FakeResponse(CONTENT[start:], 206, [
                ("Content-Range", f"bytes {start}-{len(CONTENT) - 1}/{len(CONTENT)}")],
                fail_after=fail_after)
        return FakeResponse(CONTENT, fail_after=fail_after)


ORIGIN = "https://example.com/files/data.bin"


def test_an_interrupted_download_keeps_its_part_and_resumes_with_a_range_request(
        tmp_path, monkeypatch, capsys):
    server = FakeServer(fail_after=4000)
    monkeypatch.setattr(urllib.request, "urlopen", server)
    target = tmp_path / "datasets" / "data.bin"
    with pytest.raises(DownloadError) as error:
        get_file(origin=ORIGIN, cache_dir=tmp_path, file_hash=sha256(CONTENT))
    message = str(error.value)
    assert ORIGIN in message and str(target) in message
    assert "4000 bytes received so far are kept" in message
    assert (tmp_path / "datasets" / "data.bin.part").stat().st_size == 4000
    assert not target.exists()

    path = get_file(origin=ORIGIN, cache_dir=tmp_path, file_hash=sha256(CONTENT))
    assert server.requests[-1].get_header("Range") == "bytes=4000-"
    assert "(resuming after 4000 bytes)" in capsys.readouterr().out
    assert pathlib.Path(path).read_bytes() == CONTENT
    assert os.listdir(tmp_path / "datasets") == ["data.bin"]


def test_a_server_without_ranges_restarts_the_download(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", FakeServer(ranges=False))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "data.bin.part").write_bytes(b"stale bytes")
    path = get_file(origin=ORIGIN, cache_dir=tmp_path)
    assert pathlib.Path(path).read_bytes() == CONTENT


def test_a_piece_other_than_the_one_asked_for_restarts_the_download(tmp_path, monkeypatch):
    server = FakeServer()
    wrong_piece = FakeResponse(CONTENT[10:], 206, [("Content-Range", "bytes 10-10239/10240")])
    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout=None: (
        wrong_piece if request.get_header("Range") else server(request)))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "data.bin.part").write_bytes(CONTENT[:500])
    assert pathlib.Path(get_file(origin=ORIGIN, cache_dir=tmp_path)).read_bytes() == CONTENT


def test_a_part_file_the_server_cannot_continue_is_discarded(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", FakeServer())
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "data.bin.part").write_bytes(b"x" * (len(CONTENT) + 5))
    assert pathlib.Path(get_file(origin=ORIGIN, cache_dir=tmp_path)).read_bytes() == CONTENT


def test_a_resumed_download_that_does_not_match_the_hash_is_deleted(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", FakeServer())
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "data.bin.part").write_bytes(b"\xff" * 100)  # not a prefix
    with pytest.raises(ValueError, match="does not match"):
        get_file(origin=ORIGIN, cache_dir=tmp_path, file_hash=sha256(CONTENT))
    assert os.listdir(tmp_path / "datasets") == []


@pytest.mark.parametrize("failure, described", [
    (urllib.error.URLError("[Errno -3] Temporary failure in name resolution"),
     "Temporary failure in name resolution"),
    (urllib.error.HTTPError(ORIGIN, 404, "Not Found", {}, None), r"HTTP error 404 \(Not Found\)"),
    (TimeoutError("timed out"), "TimeoutError: timed out"),
])
def test_a_failed_download_names_the_url_and_where_to_put_the_file(
        tmp_path, monkeypatch, failure, described):
    def urlopen(request, timeout=None):
        raise failure

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(DownloadError, match=described) as error:
        get_file("mnist.npz", ORIGIN, cache_dir=tmp_path)
    assert isinstance(error.value, OSError)
    message = str(error.value)
    assert f"Could not download {ORIGIN}" in message
    assert str(tmp_path / "datasets" / "mnist.npz") in message
    assert os.listdir(tmp_path / "datasets") == []


def test_a_body_shorter_than_its_content_length_is_an_error(tmp_path, monkeypatch):
    def urlopen(request, timeout=None):
        response = FakeResponse(CONTENT[:100])
        response.headers.replace_header("Content-Length", str(len(CONTENT)))
        return response

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(DownloadError, match=f"after 100 of {len(CONTENT)} bytes"):
        get_file(origin=ORIGIN, cache_dir=tmp_path)
    assert not (tmp_path / "datasets" / "data.bin").exists()


def test_progress_bar_counts_the_bytes(tmp_path, source, capsys):
    get_file(origin=url(source), cache_dir=tmp_path)
    out = capsys.readouterr().out
    assert f"{len(CONTENT)}/{len(CONTENT)}" in out  # stdout is no terminal: the final line


# ---- extraction --------------------------------------------------------------------------------

def make_tar(path, files, mode="w:gz"):
    with tarfile.open(path, mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def make_zip(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


FILES = {"top/a.txt": b"alpha", "top/sub/b.txt": b"beta"}


def read_tree(folder):
    folder = pathlib.Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("fname, archive_name, folder_name", [
    ("pack", "pack_archive", "pack"),                           # a folder name
    ("pack.tar.gz", "pack.tar.gz", "pack_extracted"),          # an archive name (Keras's rule)
    (None, "pack.tar.gz_archive", "pack.tar.gz"),              # derived from the origin
])
def test_extract_returns_the_folder_named_as_keras_names_it(
        tmp_path, fname, archive_name, folder_name):
    archive = make_tar(tmp_path / "pack.tar.gz", FILES)
    path = get_file(fname, url(archive), extract=True, cache_dir=tmp_path / "c")
    assert path == str(tmp_path / "c" / "datasets" / folder_name)
    assert read_tree(path) == FILES
    assert sorted(os.listdir(tmp_path / "c" / "datasets")) == sorted([archive_name, folder_name])


def test_zip_and_untar_and_archive_format(tmp_path):
    archive = make_zip(tmp_path / "pack.zip", FILES)
    assert read_tree(get_file("z", url(archive), extract=True, cache_dir=tmp_path)) == FILES
    tar = make_tar(tmp_path / "pack.tar", FILES, mode="w")
    assert read_tree(get_file("t", url(tar), untar=True, cache_dir=tmp_path)) == FILES
    with pytest.warns(UserWarning, match="is not a zip archive, so nothing was extracted"):
        path = get_file("t2", url(tar), extract=True, archive_format="zip", cache_dir=tmp_path)
    assert not os.path.exists(path)
    with pytest.raises(ValueError, match="Unknown archive_format 'rar'"):
        get_file("t3", url(tar), extract=True, archive_format="rar", cache_dir=tmp_path)


def test_extracting_a_file_that_is_no_archive_warns(tmp_path, source):
    with pytest.warns(UserWarning, match="is not a tar or zip archive"):
        get_file("plain", url(source), extract=True, cache_dir=tmp_path)


def test_extraction_happens_once_and_again_after_a_new_download(tmp_path):
    archive = make_tar(tmp_path / "pack.tar.gz", FILES)
    path = pathlib.Path(get_file("pack", url(archive), extract=True, cache_dir=tmp_path))
    (path / "top" / "a.txt").write_bytes(b"edited")
    (path / "mine.txt").write_bytes(b"kept")
    get_file("pack", url(archive), extract=True, cache_dir=tmp_path)
    assert (path / "top" / "a.txt").read_bytes() == b"edited"  # not extracted again
    get_file("pack", url(archive), extract=True, cache_dir=tmp_path, force_download=True)
    assert read_tree(path) == {**FILES, "mine.txt": b"kept"}
    assert [p for p in os.listdir(tmp_path / "datasets") if p.startswith(".tmp")] == []


@pytest.mark.parametrize("name, kind, linkname, reason", [
    ("../evil.txt", tarfile.REGTYPE, "", "outside the extraction folder"),
    ("/tmp/evil.txt", tarfile.REGTYPE, "", "outside the extraction folder"),
    ("top/../../evil.txt", tarfile.REGTYPE, "", "outside the extraction folder"),
    ("top/link", tarfile.SYMTYPE, "/etc/passwd", "is a symbolic link"),
    ("top/inside_link", tarfile.SYMTYPE, "a.txt", "is a symbolic link"),
    ("top/hard", tarfile.LNKTYPE, "top/a.txt", "is a hard link"),
    ("top/device", tarfile.CHRTYPE, "", "is a device or FIFO"),
    ("top/fifo", tarfile.FIFOTYPE, "", "is a device or FIFO"),
])
def test_unsafe_tar_members_are_refused_before_anything_is_written(
        tmp_path, name, kind, linkname, reason):
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("top/a.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"a"))
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, linkname
        tar.addfile(info)
    with pytest.raises(ValueError, match=f"Refusing to extract .*'{name}'.*{reason}"):
        get_file("evil", url(archive), extract=True, cache_dir=tmp_path / "c")
    assert os.listdir(tmp_path / "c" / "datasets") == ["evil_archive"]
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "c" / "evil.txt").exists()


@pytest.mark.parametrize("name", ["../evil.txt", "/abs/evil.txt", "a/../../evil.txt"])
def test_zip_members_escaping_the_folder_are_refused(tmp_path, name):
    archive = make_zip(tmp_path / "evil.zip", {"ok.txt": b"ok", name: b"x"})
    with pytest.raises(ValueError, match="outside the extraction folder"):
        get_file("evil", url(archive), extract=True, cache_dir=tmp_path / "c")
    assert os.listdir(tmp_path / "c" / "datasets") == ["evil_archive"]


def test_zip_symlinks_are_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as z:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777 << 16)  # S_IFLNK
        z.writestr(info, "/etc/passwd")
    with pytest.raises(ValueError, match="'link' is a symbolic link"):
        get_file("link", url(archive), extract=True, cache_dir=tmp_path / "c")
