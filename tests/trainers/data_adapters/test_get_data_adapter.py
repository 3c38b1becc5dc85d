"""Choosing the adapter, validation_split, and what every batch is converted to."""

import numpy as np
import pytest
import torch
from torch.utils import data as torch_data

from lamina.trainers import data_adapters
from lamina.trainers.data_adapters import (
    ArrayDataAdapter,
    GeneratorDataAdapter,
    PyDatasetAdapter,
    TorchDataAdapter,
    check_validation_split,
    get_data_adapter,
    train_validation_split,
)
from lamina.trainers.data_adapters.batch_conversion import batch_to_host
from lamina.utils.py_dataset import PyDataset

X = np.arange(20, dtype="float32").reshape(10, 2)


class OneBatch(PyDataset):
    def __len__(self):
        return 1

    def __getitem__(self, index):
        return X


def sources():
    return {
        "arrays": (X, ArrayDataAdapter),
        "dict of arrays": ({"a": X}, ArrayDataAdapter),
        "torch tensor": (torch.from_numpy(X), ArrayDataAdapter),
        "generator": ((X for _ in range(1)), GeneratorDataAdapter),
        "iterator": (iter([X]), GeneratorDataAdapter),
        "PyDataset": (OneBatch(), PyDatasetAdapter),
        "Dataset": (torch_data.TensorDataset(torch.from_numpy(X)), TorchDataAdapter),
        "DataLoader": (torch_data.DataLoader(torch_data.TensorDataset(torch.from_numpy(X))),
                       TorchDataAdapter),
    }


@pytest.mark.parametrize("name", list(sources()))
def test_each_kind_gets_its_adapter(name):
    data, expected = sources()[name]
    adapter = get_data_adapter(data)
    assert type(adapter) is expected
    assert adapter.is_array_data == (expected is ArrayDataAdapter)
    assert data_adapters.is_array_data(data) == (expected is ArrayDataAdapter)
    x, _, _ = adapter.peek()
    assert isinstance(x, (torch.Tensor, dict)) and adapter.device == torch.device("cpu")
    adapter.close()


def test_an_adapter_is_passed_through():
    adapter = get_data_adapter(X)
    assert get_data_adapter(adapter) is adapter


def test_unknown_data_is_refused():
    with pytest.raises(TypeError, match="Unrecognized data type for `x`: object"):
        get_data_adapter(object())
    with pytest.raises(TypeError, match="Unrecognized data type for `x`: NoneType"):
        get_data_adapter(None)


def test_validation_split_is_refused_for_non_array_data():
    check_validation_split(X, 0.2)
    check_validation_split((x for x in []), 0.0)  # no split asked: fine
    for data in ((X for _ in range(1)), OneBatch(), torch_data.TensorDataset(torch.zeros(2))):
        with pytest.raises(ValueError, match="only supported for tensors or NumPy arrays.*"
                                             "validation_data="):
            check_validation_split(data, 0.2)


def test_train_validation_split_takes_the_last_fraction():
    y = np.arange(10)
    (x_train, y_train, w_train), (x_val, y_val, w_val) = train_validation_split(X, y, None, 0.25)
    np.testing.assert_array_equal(y_train.numpy(), np.arange(7))  # floor(10 * 0.75) = 7
    np.testing.assert_array_equal(y_val.numpy(), [7, 8, 9])
    assert x_val.shape == (3, 2) and w_train is None and w_val is None
    with pytest.raises(ValueError, match="leaves no samples for training"):
        train_validation_split(X, y, None, 0.95)
    with pytest.raises(ValueError, match="only supported for tensors or NumPy arrays"):
        train_validation_split(iter([X]), None, None, 0.5)


def test_every_batch_is_converted_to_tensors():
    batch = (np.zeros((2, 2), "float64"), [1.5, 2.5], np.array([True, False]))
    x, y, sample_weight = batch_to_host(batch)
    assert x.dtype == torch.float32 and y.dtype == torch.float32
    assert sample_weight.dtype == torch.float32 and sample_weight.tolist() == [1.0, 0.0]
    (ints, _, _) = batch_to_host(np.array([1, 2], "int32"))
    assert ints.dtype == torch.int32
    read_only = np.zeros(3)
    read_only.flags.writeable = False
    (tensor, _, _) = batch_to_host(read_only)
    assert tensor.shape == (3,)
    with pytest.raises(TypeError, match="`y` contains non-numeric data"):
        batch_to_host((X, np.array(["cat", "dog"])))


def test_batches_land_on_the_requested_device():
    adapter = get_data_adapter(iter([(X, X)]), device="meta")
    x, y, _ = adapter.peek()
    assert x.device.type == "meta" and y.device.type == "meta"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_batches_for_a_gpu_are_pinned_then_copied_without_blocking():
    x, y, _ = batch_to_host((np.zeros((4, 2), "float64"), np.arange(4)), pin_memory=True)
    assert x.is_pinned() and y.is_pinned() and x.dtype == torch.float32
    for source in (iter([(X, X)]), OneBatch(workers=2), torch_data.TensorDataset(torch.zeros(3))):
        batch_x, _, _ = get_data_adapter(source, device="cuda").peek()
        assert batch_x.device.type == "cuda"
    on_gpu, _, _ = get_data_adapter(X, device="cuda").peek()
    assert on_gpu.device.type == "cuda"
