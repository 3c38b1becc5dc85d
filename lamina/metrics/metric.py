"""The `Metric` base class: state accumulated over batches, read with `result()`.

State lives in non-trainable `lamina.Variable`s made by `add_variable`. Two rules keep metrics
cheap inside a training loop:

* the state follows the data: the first `update_state` on a new device moves every variable
  there (once), so a CUDA model accumulates on CUDA;
* `update_state` never talks to the host: no `.item()`, no Python branching on values, and it
  runs under `torch.no_grad()` so no autograd graph hangs on to the batch.

Both are applied to every subclass's `update_state` automatically (see `__init_subclass__`),
so a user metric written the Keras way gets them too.
"""

import functools
import sys

import torch

from lamina import config
from lamina.registry.export import keras_export
from lamina.utils import naming
from lamina.variables import Variable


@keras_export("metrics.Metric", "Metric", aliases=("metric",))
class Metric:
    """Base class of metrics.

    Subclasses create state with `self.add_variable(...)` in `__init__`, update it in
    `update_state(y_true, y_pred, sample_weight=None)` with `variable.assign(...)` /
    `assign_add(...)`, and compute the value in `result()`.

    Args:
        dtype: float type of the state and result (default `lamina.config.floatx()`).
        name: name shown in logs.
    """

    _is_lamina_metric = True  # (read by Layer.__setattr__ without importing this module)

    def __init__(self, dtype=None, name=None):
        self.name = name or naming.unique_name(naming.to_snake_case(type(self).__name__))
        self._dtype = config.dtype_name(dtype)
        self._torch_dtype = config.to_torch_dtype(self._dtype)
        self._variables = []
        self._device = torch.device("cpu")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        update = cls.__dict__.get("update_state")
        if update is not None and not getattr(update, "_follows_data", False):
            cls.update_state = _following_data(update)

    @property
    def dtype(self):
        return self._dtype

    @property
    def variables(self):
        return list(self._variables)

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A non-trainable state variable, registered in `self.variables`."""
        if not hasattr(self, "_variables"):
            raise RuntimeError(
                f"{type(self).__name__}.add_variable() was called before "
                "super().__init__(): call super().__init__(name=name, dtype=dtype) first."
            )
        dtype = config.to_torch_dtype(dtype or self._dtype)
        shape = tuple(shape) if shape is not None else ()
        value = _initial_value(initializer, shape, dtype).to(self._device)
        # Keras's path: the metric's name (with "/" made ">") under the scopes open here
        from lamina.layers.layer import current_path

        path = "/".join(p for p in (current_path(), self.name.replace("/", ">"), name) if p)
        variable = Variable._from_tensor(value, False, name, path)
        variable._metric_initializer = initializer
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras 2 name of `add_variable`."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Zero every state variable (called at the start of each epoch and evaluation)."""
        with torch.no_grad():
            for variable in self._variables:
                variable.zero_()

    def reset_states(self):  # Keras 2 spelling
        self.reset_state()

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """`update_state` on the given values of `self.variables`; returns their new values
        (the metric's own variables are left as they were)."""
        from lamina.stateless import metric_update_state

        return metric_update_state(self, metric_variables, args, kwargs)

    def stateless_result(self, metric_variables):
        """`result()` computed from the given values of `self.variables`."""
        from lamina.stateless import metric_result

        return metric_result(self, metric_variables)

    def stateless_reset_state(self):
        """The values `reset_state()` gives `self.variables` (which are left as they were)."""
        from lamina.stateless import metric_reset_state

        return metric_reset_state(self)

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _follow_device(self, device):
        """Move the state to `device` (called when data arrives from a new device)."""
        for variable in self._variables:
            moved = variable.data.to(device)
            if torch._has_compatible_shallow_copy_type(variable, moved):
                variable.data = moved  # CPU <-> CUDA: same object, new storage
            else:  # e.g. the meta device: swap the whole tensor, keeping the Python object
                replacement = Variable._from_tensor(moved, False, variable.name)
                replacement.__dict__.update(variable.__dict__)
                torch.utils.swap_tensors(variable, replacement)
        self._device = device

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _following_data(update_state):
    @functools.wraps(update_state)
    def wrapper(self, *args, **kwargs):
        device = _data_device(args, kwargs)
        if not torch.compiler.is_compiling() and _in_symbolic_run():
            return None  # a layer's shape inference (symbolic call) updates no metric
        if device is not None and device != self._device:
            self._follow_device(device)
        if not torch.is_grad_enabled():  # (e.g. a wrapper's update calling its base class's)
            return update_state(self, *args, **kwargs)
        with torch.no_grad():
            return update_state(self, *args, **kwargs)

    wrapper._follows_data = True
    return wrapper


def _in_symbolic_run():
    """True inside a layer's shape inference (on meta tensors or zero-filled stand-ins)."""
    state = _LAYER_THREAD_STATE[0]
    if state is None:  # (looked up once: this module cannot import the layers at load time)
        layer_module = sys.modules.get("lamina.layers.layer")
        if layer_module is None:
            return False
        state = _LAYER_THREAD_STATE[0] = layer_module._THREAD_STATE
    return state.symbolic_run


_LAYER_THREAD_STATE = [None]


def _data_device(args, kwargs):
    """Where the batch lives: an accelerator if any input tensor is on one, else the CPU.

    Labels or weights often stay on the CPU while the model output is on CUDA; the state
    belongs with the model output.
    """
    on_cpu = None
    for value in (*args, *kwargs.values()):
        if isinstance(value, torch.Tensor):
            if not value.is_cpu:  # (`is_cpu` is read every step: much cheaper than device.type)
                return value.device
            on_cpu = value
    return None if on_cpu is None else on_cpu.device


def _initial_value(initializer, shape, dtype):
    if isinstance(initializer, str):
        name = initializer.lower()
        if name in ("zeros", "zero"):
            return torch.zeros(shape, dtype=dtype)
        if name in ("ones", "one"):
            return torch.ones(shape, dtype=dtype)
    if isinstance(initializer, (int, float)):
        return torch.full(shape, float(initializer), dtype=dtype)
    if isinstance(initializer, str) or not callable(initializer):
        from lamina import initializers  # only for uncommon initializers: keeps imports light

        initializer = initializers.get(initializer)
    return torch.as_tensor(initializer(shape, dtype=config.dtype_name(dtype)), dtype=dtype)
