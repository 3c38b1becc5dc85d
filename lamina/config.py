"""Global configuration that Keras code reads: float type, fuzz factor, image layout.

Kept as module-level state (as Keras does) so `lamina.config.set_floatx("float64")` affects every
layer built afterwards. Values are validated here, once, so layers can trust them.
"""

import torch

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"

_FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")


def floatx():
    """The default float type of new weights and inputs, as a string ("float32")."""
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in _FLOAT_TYPES:
        raise ValueError(f"Unknown floatx {value!r}. Expected one of {list(_FLOAT_TYPES)}.")
    _FLOATX = str(value)


def epsilon():
    """The fuzz factor Keras adds to avoid division by zero (1e-7)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """"channels_last" (the Keras default) or "channels_first"."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    global _IMAGE_DATA_FORMAT
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"Unknown data_format {data_format!r}. Expected one of {list(_DATA_FORMATS)}."
        )
    _IMAGE_DATA_FORMAT = str(data_format)


def backend():
    """The name of the backend, for code that asks `keras.config.backend()`."""
    return "torch"


def standardize_data_format(data_format):
    """`None` means the global default; anything else must be a valid name."""
    if data_format is None:
        return image_data_format()
    data_format = str(data_format).lower()
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"Unknown data_format {data_format!r}. Expected one of {list(_DATA_FORMATS)}."
        )
    return data_format


def to_torch_dtype(dtype):
    """Turn "float32", np.float32, torch.float32 or None (= floatx) into a torch dtype."""
    if dtype is None:
        dtype = _FLOATX
    if isinstance(dtype, torch.dtype):
        return dtype
    name = getattr(dtype, "__name__", None) or getattr(dtype, "name", None) or str(dtype)
    name = {"float": "float32", "int": "int64", "bool": "bool", "double": "float64"}.get(name, name)
    result = getattr(torch, name, None)
    if not isinstance(result, torch.dtype):
        raise ValueError(f"Unknown dtype {dtype!r}. Use a name such as 'float32' or 'int64'.")
    return result


def dtype_name(dtype):
    """Keras spells dtypes as strings: torch.float32 -> "float32"."""
    return str(to_torch_dtype(dtype)).replace("torch.", "")


def set_dtype_policy(policy):
    """The global dtype policy (`"mixed_float16"`, a DTypePolicy): the same global as
    `lamina.mixed_precision.set_global_policy`."""
    from lamina.mixed_precision.policy import DTypePolicy, set_global_policy

    if not isinstance(policy, (str, DTypePolicy)):
        raise ValueError(
            "set_dtype_policy() takes a policy name such as 'mixed_float16' or a DTypePolicy; "
            f"got {policy!r} (of type {type(policy).__name__})."
        )
    set_global_policy(policy)


def dtype_policy():
    """The global dtype policy (a DTypePolicy named after floatx unless one was set)."""
    from lamina.mixed_precision.policy import global_policy

    return global_policy()


def enable_unsafe_deserialization():
    """Allow loading Lambda layers stored as bytecode (runs code from files: trust them first)."""
    from lamina.registry.safe_mode import enable_unsafe_deserialization as enable

    enable()
