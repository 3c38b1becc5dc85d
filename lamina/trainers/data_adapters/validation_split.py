"""`fit(validation_split=f)`: hold out the *last* fraction of in-memory arrays, before shuffling."""

import math

from lamina.trainers.data_adapters import array_data_adapter
from lamina.utils import tree


def check_validation_split(x, validation_split):
    """Refuse `validation_split` for data that cannot be sliced (generators, datasets, ...)."""
    from lamina.trainers.data_adapters.adapter_selection import is_array_data

    if validation_split and not is_array_data(x):
        raise ValueError(
            "`validation_split` is only supported for tensors or NumPy arrays (and lists/dicts "
            f"of them); received x of type {type(x).__name__}. Hold out validation data "
            "yourself and pass it as `validation_data=` instead."
        )


def train_validation_split(x, y, sample_weight, validation_split):
    """Convert the arrays and split them: `((x, y, sw), (x_val, y_val, sw_val))`."""
    check_validation_split(x, validation_split)
    structures = (
        array_data_adapter.to_tensor_structure(x, "x"),
        array_data_adapter.to_tensor_structure(y, "y"),
        array_data_adapter.to_tensor_structure(sample_weight, "sample_weight"),
    )
    return split_for_validation(structures, validation_split)


def split_for_validation(structures, validation_split):
    """Keras's validation_split on tensors: the last fraction of the samples."""
    if not 0 < validation_split < 1:
        raise ValueError(
            f"validation_split must be a float between 0 and 1; received {validation_split}."
        )
    n = array_data_adapter.count_samples(structures)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} leaves no samples for "
            f"{'training' if split_at == 0 else 'validation'} ({n} samples in total)."
        )
    train = tree.map_structure(lambda t: None if t is None else t[:split_at], structures)
    val = tree.map_structure(lambda t: None if t is None else t[split_at:], structures)
    return train, val
