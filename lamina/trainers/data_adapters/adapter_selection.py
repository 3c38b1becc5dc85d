"""`get_data_adapter`: pick the adapter for whatever fit / evaluate / predict was given as `x`."""

from torch.utils import data as torch_data

from lamina.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
from lamina.trainers.data_adapters.data_adapter import DataAdapter
from lamina.trainers.data_adapters.generator_data_adapter import GeneratorDataAdapter
from lamina.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter
from lamina.trainers.data_adapters.tf_dataset_adapter import TFDatasetAdapter, is_tf_dataset
from lamina.trainers.data_adapters.torch_data_adapter import TorchDataAdapter
from lamina.utils.py_dataset import PyDataset


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
                     class_weight=None, device=None, workers=None, use_multiprocessing=None,
                     max_queue_size=None, check_values=True):
    """The adapter that turns `x` (and `y`, `sample_weight`) into batches on `device`.

    `x` may be arrays (numpy, torch, pandas, lists/dicts of them), a Python generator or
    iterator, a `torch.utils.data.Dataset` or `DataLoader`, a `lamina.utils.PyDataset`, a
    `tf.data.Dataset`, or an adapter (returned as it is). `workers`, `use_multiprocessing` and `max_queue_size` override
    a PyDataset's own settings (Keras 2 passed them to fit). `check_values=False` (predict)
    skips the scan of in-memory arrays for NaN and inf.
    """
    if isinstance(x, DataAdapter):
        return x
    kind = _kind(x)
    if kind == "arrays":
        return ArrayDataAdapter(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                                steps=steps, device=device, class_weight=class_weight,
                                check_values=check_values)
    _refuse_separate_targets(kind, y, sample_weight)
    if kind == "PyDataset":
        return PyDatasetAdapter(x, shuffle=shuffle, steps=steps, device=device,
                                class_weight=class_weight, workers=workers,
                                use_multiprocessing=use_multiprocessing,
                                max_queue_size=max_queue_size)
    if kind in ("torch DataLoader", "torch Dataset"):
        return TorchDataAdapter(x, batch_size=batch_size, shuffle=shuffle, steps=steps,
                                device=device, class_weight=class_weight)
    if kind == "tf.data.Dataset":
        return TFDatasetAdapter(x, steps=steps, device=device, class_weight=class_weight)
    return GeneratorDataAdapter(x, steps=steps, device=device, class_weight=class_weight)


def is_array_data(x):
    """True for in-memory arrays (what `validation_split` can slice)."""
    return isinstance(x, ArrayDataAdapter) or (
        not isinstance(x, DataAdapter) and _kind(x) == "arrays")


def _kind(x):
    if isinstance(x, PyDataset):
        return "PyDataset"
    if isinstance(x, torch_data.DataLoader):
        return "torch DataLoader"
    if isinstance(x, torch_data.Dataset):
        return "torch Dataset"
    if is_tf_dataset(x):
        return "tf.data.Dataset"
    if hasattr(x, "__next__"):
        return "generator"
    if _looks_like_arrays(x):
        return "arrays"
    raise TypeError(
        f"Unrecognized data type for `x`: {type(x).__name__}. Expected arrays (numpy, torch, "
        "pandas, or a list/dict of them), a Python generator or iterator, a "
        "torch.utils.data.Dataset or DataLoader, a lamina.utils.PyDataset, or a "
        "tf.data.Dataset."
    )


def _looks_like_arrays(x):
    if isinstance(x, (list, tuple, dict, int, float, bool)) or hasattr(x, "__array__"):
        return True
    return hasattr(x, "to_numpy") or hasattr(x, "__array_interface__")


def _refuse_separate_targets(kind, y, sample_weight):
    for name, value, what in (("y", y, "targets"), ("sample_weight", sample_weight,
                                                     "sample weights")):
        if value is not None:
            raise ValueError(
                f"When `x` is a {kind}, `{name}` must not be passed separately: the {kind} "
                f"should yield the {what} within each batch, as `(x, y)` or "
                "`(x, y, sample_weight)`."
            )
