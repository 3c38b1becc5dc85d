"""Data adapters: every kind of input data fit / evaluate / predict accept -> batches on a device.

`get_data_adapter(x, y, ...)` picks the adapter; each yields `(x, y, sample_weight)` batches of
tensors already on the training device. See `data_adapter.DataAdapter` for epochs and `steps`.
"""

from lamina.trainers.data_adapters.adapter_selection import get_data_adapter, is_array_data
from lamina.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
from lamina.trainers.data_adapters.batch_conversion import (
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from lamina.trainers.data_adapters.data_adapter import DataAdapter
from lamina.trainers.data_adapters.generator_data_adapter import GeneratorDataAdapter
from lamina.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter
from lamina.trainers.data_adapters.torch_data_adapter import TorchDataAdapter
from lamina.trainers.data_adapters.validation_split import (
    check_validation_split,
    split_for_validation,
    train_validation_split,
)

__all__ = [
    "ArrayDataAdapter", "DataAdapter", "GeneratorDataAdapter", "PyDatasetAdapter",
    "TorchDataAdapter", "check_validation_split", "get_data_adapter", "is_array_data",
    "pack_x_y_sample_weight", "split_for_validation", "train_validation_split",
    "unpack_x_y_sample_weight",
]
