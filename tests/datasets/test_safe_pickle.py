"""The restricted unpickler rebuilds numpy arrays and containers and refuses everything else."""

import io
import os
import pickle

import numpy as np
import pytest

from lamina.datasets import safe_pickle


class RunsCode:
    """A pickle payload that would create a file when unpickled by `pickle.load`."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_a_malicious_pickle_is_refused_without_running(tmp_path):
    marker = str(tmp_path / "pwned")
    payload = pickle.dumps({b"data": RunsCode(marker)})
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load '(posix|nt)\.mkdir'"):
        safe_pickle.load_pickle(io.BytesIO(payload), encoding="bytes")
    assert not os.path.exists(marker)


def test_a_malicious_object_array_in_an_npz_is_refused(tmp_path):
    marker = str(tmp_path / "pwned")
    array = np.empty(2, dtype=object)
    array[0], array[1] = [1, 2], RunsCode(marker)
    np.savez(tmp_path / "evil.npz", x=array, y=np.arange(2))
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load"):
        safe_pickle.load_npz(tmp_path / "evil.npz")
    assert not os.path.exists(marker)


@pytest.mark.parametrize("protocol", [3, 4, 5])  # what numpy and Python 3 write
def test_numpy_arrays_and_containers_load(protocol):
    value = {b"data": np.arange(12, dtype=np.uint8).reshape(3, 4), b"labels": [1, 2, 3],
             "name": "batch 1", "weights": np.linspace(0, 1, 5)}
    loaded = safe_pickle.load_pickle(io.BytesIO(pickle.dumps(value, protocol=protocol)))
    assert loaded.keys() == value.keys()
    np.testing.assert_array_equal(loaded[b"data"], value[b"data"])
    np.testing.assert_array_equal(loaded["weights"], value["weights"])
    assert loaded[b"labels"] == [1, 2, 3] and loaded["name"] == "batch 1"


def test_arrays_pickled_by_python_2_and_numpy_1_load(python2_pickle):
    # As the CIFAR batches were written: Python 2 strings, numpy's functions under `numpy.core`
    # (numpy 2 would warn on importing that name; the unpickler maps it without importing).
    payload = python2_pickle({"data": np.arange(4), "labels": [3, 1]})
    assert b"cnumpy.core.multiarray\n_reconstruct" in payload
    loaded = safe_pickle.load_pickle(io.BytesIO(payload), encoding="bytes")
    np.testing.assert_array_equal(loaded[b"data"], np.arange(4))
    assert loaded[b"labels"] == [3, 1]


def test_load_npz_reads_numeric_and_object_arrays(tmp_path):
    ragged = np.empty(3, dtype=object)
    ragged[0], ragged[1], ragged[2] = [1], [2, 3], []
    np.savez(tmp_path / "a.npz", x=ragged, y=np.array([0, 1, 1]), z=np.ones((2, 2), "float32"))
    arrays = safe_pickle.load_npz(tmp_path / "a.npz")
    assert sorted(arrays) == ["x", "y", "z"]
    assert arrays["x"].dtype == object and arrays["x"].tolist() == [[1], [2, 3], []]
    np.testing.assert_array_equal(arrays["y"], [0, 1, 1])
    assert arrays["z"].dtype == np.float32 and arrays["z"].shape == (2, 2)
