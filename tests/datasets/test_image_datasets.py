"""MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100 read from small files in the real formats.

The expected arrays are written from the format's definition (a CIFAR row holds the red, green
then blue 32x32 planes; an IDX file is a big-endian header, then one byte per value), not from
lamina's code.
"""

import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest

from lamina import config
from lamina.datasets import cifar10, cifar100, fashion_mnist, mnist
from lamina.utils.file_utils import DownloadError

RNG = np.random.default_rng(7)


@pytest.fixture
def channels_first():
    previous = config.image_data_format()
    config.set_image_data_format("channels_first")
    yield
    config.set_image_data_format(previous)


def test_mnist(install, tmp_path):
    arrays = {"x_train": RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_train": RNG.integers(0, 10, 5, dtype=np.uint8),
              "x_test": RNG.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": RNG.integers(0, 10, 3, dtype=np.uint8)}
    np.savez(tmp_path / "mnist.npz", **arrays)
    install(mnist, "mnist.npz", tmp_path / "mnist.npz")
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    for name, value in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                        ("y_test", y_test)):
        assert value.dtype == np.uint8
        np.testing.assert_array_equal(value, arrays[name])


def test_mnist_offline_says_where_to_put_the_file(cache, monkeypatch):
    def urlopen(request, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(DownloadError) as error:
        mnist.load_data()
    assert mnist.ORIGIN in str(error.value) and str(cache / "mnist.npz") in str(error.value)


def idx_file(values, dims):
    """An IDX file: magic (0, 0, type 0x08 = unsigned byte, number of dims), sizes, then data."""
    header = bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">i", d) for d in dims)
    return gzip.compress(header + values.tobytes())


def test_fashion_mnist(install):
    split = {"train": 4, "t10k": 2}
    images = {k: RNG.integers(0, 256, (n, 28, 28), dtype=np.uint8) for k, n in split.items()}
    labels = {k: RNG.integers(0, 10, n, dtype=np.uint8) for k, n in split.items()}
    for k, n in split.items():
        install(fashion_mnist, f"{k}-labels-idx1-ubyte.gz", idx_file(labels[k], [n]), None,
                subdir="datasets/fashion-mnist")
        install(fashion_mnist, f"{k}-images-idx3-ubyte.gz", idx_file(images[k], [n, 28, 28]),
                None, subdir="datasets/fashion-mnist")
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, images["train"])
    np.testing.assert_array_equal(y_train, labels["train"])
    np.testing.assert_array_equal(x_test, images["t10k"])
    np.testing.assert_array_equal(y_test, labels["t10k"])
    assert x_train.dtype == y_test.dtype == np.uint8
    assert x_train.flags.writeable and y_train.flags.writeable  # torch.from_numpy-friendly
    assert fashion_mnist.CLASS_NAMES[9] == "Ankle boot"


def cifar_batch(n, label_keys):
    batch = {b"batch_label": b"synthetic", b"data": RNG.integers(0, 256, (n, 3072), np.uint8),
             b"filenames": [b"img%d.png" % i for i in range(n)]}
    for key, classes in label_keys.items():
        batch[key.encode()] = [int(v) for v in RNG.integers(0, classes, n)]
    return batch


def make_tarball(path, folder, batches, pickler):
    with tarfile.open(path, "w:gz") as tar:
        for name, batch in batches.items():
            data = pickler(batch)
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def expected_images(data, channels_last=True):
    """Pixel (row, col) of channel c is byte c * 1024 + row * 32 + col of the sample's row."""
    n = len(data)
    images = np.zeros((n, 32, 32, 3) if channels_last else (n, 3, 32, 32), np.uint8)
    for c in range(3):
        for row in range(32):
            plane = data[:, c * 1024 + row * 32: c * 1024 + row * 32 + 32]
            if channels_last:
                images[:, row, :, c] = plane
            else:
                images[:, c, row, :] = plane
    return images


@pytest.fixture
def cifar10_batches():
    sizes = {"data_batch_1": 3, "data_batch_2": 2, "data_batch_3": 4, "data_batch_4": 1,
             "data_batch_5": 2, "test_batch": 3}
    return {name: cifar_batch(n, {"labels": 10}) for name, n in sizes.items()}


def check_cifar10(result, batches, channels_last=True):
    (x_train, y_train), (x_test, y_test) = result
    train = [batches[f"data_batch_{i}"] for i in range(1, 6)]
    data = np.concatenate([b[b"data"] for b in train])
    np.testing.assert_array_equal(x_train, expected_images(data, channels_last))
    np.testing.assert_array_equal(
        x_test, expected_images(batches["test_batch"][b"data"], channels_last))
    assert y_train.shape == (12, 1) and y_test.shape == (3, 1)
    assert y_train[:, 0].tolist() == [label for b in train for label in b[b"labels"]]
    assert y_test[:, 0].tolist() == batches["test_batch"][b"labels"]
    assert x_train.dtype == x_test.dtype == y_train.dtype == y_test.dtype == np.uint8


def test_cifar10_from_the_cached_archive(install, tmp_path, cifar10_batches, python2_pickle):
    archive = make_tarball(tmp_path / "c10.tar.gz", "cifar-10-batches-py", cifar10_batches,
                           python2_pickle)
    install(cifar10, "cifar-10-batches-py-target_archive", archive)  # where Keras keeps it
    check_cifar10(cifar10.load_data(), cifar10_batches)
    check_cifar10(cifar10.load_data(), cifar10_batches)  # second call: already extracted


def test_cifar10_downloaded_then_extracted(cache, tmp_path, cifar10_batches, python2_pickle,
                                           monkeypatch, channels_first, capsys):
    archive = make_tarball(tmp_path / "c10.tar.gz", "cifar-10-batches-py", cifar10_batches,
                           python2_pickle)
    monkeypatch.setattr(cifar10, "ORIGIN", archive.as_uri())
    monkeypatch.setattr(cifar10, "FILE_HASH", hashlib.sha256(archive.read_bytes()).hexdigest())
    result = cifar10.load_data()
    assert result[0][0].shape == (12, 3, 32, 32)
    check_cifar10(result, cifar10_batches, channels_last=False)
    assert sorted(p.name for p in cache.iterdir()) == [
        "cifar-10-batches-py-target", "cifar-10-batches-py-target_archive"]
    assert "Downloading data from file://" in capsys.readouterr().out


@pytest.mark.parametrize("label_mode, classes", [("fine", 100), ("coarse", 20)])
def test_cifar100(install, tmp_path, python2_pickle, label_mode, classes):
    keys = {"fine_labels": 100, "coarse_labels": 20}
    batches = {"train": cifar_batch(5, keys), "test": cifar_batch(2, keys)}
    archive = make_tarball(tmp_path / "c100.tar.gz", "cifar-100-python", batches, python2_pickle)
    install(cifar100, "cifar-100-python-target_archive", archive)
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode)
    np.testing.assert_array_equal(x_train, expected_images(batches["train"][b"data"]))
    np.testing.assert_array_equal(x_test, expected_images(batches["test"][b"data"]))
    key = f"{label_mode}_labels".encode()
    assert y_train[:, 0].tolist() == batches["train"][key]
    assert y_test[:, 0].tolist() == batches["test"][key]
    assert y_train.shape == (5, 1) and y_train.dtype == np.int64
    assert x_train.dtype == np.uint8 and max(y_train[:, 0]) < classes


def test_cifar100_label_mode_is_checked():
    with pytest.raises(ValueError, match="'fine'.*'coarse'.*label_mode='medium'"):
        cifar100.load_data("medium")


def test_cifar_refuses_a_batch_that_runs_code(install, tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.mkdir, (str(tmp_path / "pwned"),))

    batches = {"train": {b"data": Evil()}, "test": {b"data": Evil()}}
    archive = make_tarball(tmp_path / "evil.tar.gz", "cifar-100-python", batches, pickle.dumps)
    install(cifar100, "cifar-100-python-target_archive", archive)
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load"):
        cifar100.load_data()
    assert not (tmp_path / "pwned").exists()
