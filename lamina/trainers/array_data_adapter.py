"""Moved to `lamina.trainers.data_adapters`; kept so existing imports keep working."""

from lamina.trainers.data_adapters.array_data_adapter import (  # noqa: F401
    ArrayDataAdapter,
    check_finite,
    to_tensor_structure,
)
from lamina.trainers.data_adapters.validation_split import split_for_validation  # noqa: F401
