"""Global configuration that Keras code reads: float type, fuzz factor, image layout.

Kept as module-level state (as Keras does) so `lamina.config.set_floatx("float64")` affects every
layer built afterwards. Values are validated here, once, so layers can trust them.
"""

import os

import torch

from lamina.registry.export import keras_export

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


# ---- switches Keras 3 keeps in keras.config ------------------------------------------------------

_INTERACTIVE_LOGGING = True
_TRACEBACK_FILTERING = True
_FLASH_ATTENTION = None  # None: use it where it applies; False: never; True: required
# Debugging caps on every fit/evaluate/predict, also settable from the environment so a script
# can be smoke-run unchanged (same variables as Keras).
_MAX_EPOCHS = int(os.environ["KERAS_MAX_EPOCHS"]) if os.environ.get("KERAS_MAX_EPOCHS") else None
_MAX_STEPS_PER_EPOCH = (int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"])
                        if os.environ.get("KERAS_MAX_STEPS_PER_EPOCH") else None)


@keras_export("config.enable_interactive_logging", "utils.enable_interactive_logging")
def enable_interactive_logging():
    """Progress bars and messages go to stdout (the default)."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


@keras_export("config.disable_interactive_logging", "utils.disable_interactive_logging")
def disable_interactive_logging():
    """Progress bars and messages become records of the `logging` logger "lamina" (one line
    per update, no carriage returns): for batch jobs whose output is a log file."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


@keras_export("config.is_interactive_logging_enabled", "utils.is_interactive_logging_enabled")
def is_interactive_logging_enabled():
    return _INTERACTIVE_LOGGING


def enable_traceback_filtering():
    """Errors raised inside a layer call show the user's frames, not lamina's (the default)."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = True


def disable_traceback_filtering():
    """Show lamina's internal frames in tracebacks too (for debugging lamina itself)."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = False


def is_traceback_filtering_enabled():
    return _TRACEBACK_FILTERING


def enable_flash_attention():
    """Require PyTorch's flash-attention kernel in `ops.dot_product_attention` (and the attention
    layers): it needs a CUDA device and float16/bfloat16 inputs, and an error says so otherwise."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = True


def disable_flash_attention():
    """Never use the flash-attention kernel (the other fused kernels stay allowed)."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = False


def is_flash_attention_enabled():
    """True or False once set; None (the default) lets PyTorch choose the kernel."""
    return _FLASH_ATTENTION


def set_max_epochs(max_epochs):
    """Cap the epochs of every `fit()` (debugging; also `KERAS_MAX_EPOCHS=2`). None: no cap."""
    global _MAX_EPOCHS
    _MAX_EPOCHS = _positive_or_none(max_epochs, "max_epochs")


def max_epochs():
    return _MAX_EPOCHS


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the steps of each epoch of `fit()`, `evaluate()` and `predict()` (debugging; also
    `KERAS_MAX_STEPS_PER_EPOCH=5`). None: no cap."""
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = _positive_or_none(max_steps_per_epoch, "max_steps_per_epoch")


def max_steps_per_epoch():
    return _MAX_STEPS_PER_EPOCH


def _positive_or_none(value, argument):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{argument}` must be a positive integer or None. "
                         f"Received: {argument}={value!r}.")
    return value


def is_nnx_enabled():
    """Always False: Flax NNX is a JAX library, and lamina runs on PyTorch."""
    return False


def set_backend(backend):
    """lamina has one backend, PyTorch: `set_backend("torch")` is accepted, anything else is an
    error (Keras's JAX, TensorFlow and NumPy backends are not part of lamina)."""
    if backend != "torch":
        raise ValueError(
            f"lamina runs Keras code on PyTorch only; set_backend({backend!r}) is not possible. "
            "Use set_backend('torch'), or install Keras itself for its other backends."
        )
