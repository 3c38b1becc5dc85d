"""`Variable`: a `torch.nn.Parameter` that also speaks Keras (`name`, `path`, `assign`, `numpy`).

Being a Parameter is the point: `model.parameters()`, `state_dict()`, `.to(device)` and every
torch optimizer see lamina weights with no bridge. Operations on a Variable return plain tensors
(Parameter disables tensor-subclass propagation), so the hot path pays nothing for the subclass.
"""

import copy
import sys

import numpy as np
import torch

from lamina import stateless as _stateless
from lamina.registry.export import keras_export


class _VariableMeta(type(torch.nn.Parameter)):
    def __instancecheck__(cls, instance):
        # A variable that ModelParallel sharded is a DTensor (a `ShardedVariable`); it is still
        # a lamina Variable for `isinstance`.
        if super().__instancecheck__(instance):
            return True
        return cls is Variable and _SHARDED_CLASS[0] is not None and \
            isinstance(instance, _SHARDED_CLASS[0])


class KerasVariableSurface:
    """The Keras attributes a lamina variable shows, whole (`Variable`) or sharded by
    ModelParallel (`lamina.distribution.gathering.ShardedVariable`)."""

    __slots__ = ()
    # Keras's defaults, read from the class until a variable sets its own (no per-variable cost).
    _aggregation = "none"
    _synchronization = "auto"
    _overwrite_with_gradient = False

    @property
    def name(self):
        return self._keras_name

    @property
    def path(self):
        return self._keras_path

    @property
    def trainable(self):
        return self._keras_trainable

    @trainable.setter
    def trainable(self, value):
        self._keras_trainable = bool(value)
        self.requires_grad_(bool(value))

    @property
    def aggregation(self):
        """How replicas combine this variable ("none", "mean", "sum", "only_first_replica")."""
        return self._aggregation

    @property
    def synchronization(self):
        """When replicas synchronize this variable ("none", "on_read", "on_write", "auto")."""
        return self._synchronization

    @property
    def overwrite_with_gradient(self):
        """Whether the optimizer replaces this variable by its gradient instead of updating
        it (float8 training's scales: their "gradient" is their next value)."""
        return self._overwrite_with_gradient

    @overwrite_with_gradient.setter
    def overwrite_with_gradient(self, value):
        if not isinstance(value, bool):
            raise TypeError(
                "`overwrite_with_gradient` must be a boolean. "
                f"Received: {value!r} (of type {type(value).__name__})")
        self._overwrite_with_gradient = value
        OVERWRITE_FLAGS_CHANGED[0] += 1  # optimizers re-read which variables are overwritten

    @property
    def value(self):
        """The tensor itself, as in Keras's torch backend (so `v.value.grad` is the gradient);
        inside a `StatelessScope`, the variable's value there."""
        scope = _stateless.get_stateless_scope()
        if scope is not None:
            return scope._read(self)
        return self


@keras_export("Variable")
class Variable(KerasVariableSurface, torch.nn.Parameter, metaclass=_VariableMeta):
    """`Variable(initializer, shape=None, dtype=None, trainable=True, ..., name=None)`, as in
    Keras: `initializer` is a value (array, tensor, number) or an initializer (a name such as
    "ones", or a callable) that is called with `shape` and `dtype`."""

    def __new__(cls, initializer=None, shape=None, dtype=None, trainable=True, autocast=True,
                aggregation="none", synchronization="auto", name=None, **kwargs):
        from lamina.utils.arguments import check_kwargs

        check_kwargs(kwargs, set(), "Variable()")
        if _stateless.in_stateless_scope():
            _stateless.check_variable_creation(initializer)
        data = _initial_value(initializer, shape, dtype)
        name = name or "variable"
        from lamina.layers.layer import current_path  # (layers import this module)

        scope = current_path()  # the layers being built and the name_scopes open, as in Keras
        self = cls._from_tensor(data, bool(trainable) and (data.is_floating_point() or
                                                            data.is_complex()),
                                name, f"{scope}/{name}" if scope else name,
                                trainable=bool(trainable))
        self._set_distribution_strategy(aggregation, synchronization)
        return self

    @classmethod
    def _from_tensor(cls, data, requires_grad, name=None, path=None, trainable=None):
        """lamina's own constructor: wrap a tensor as it is (layers, metrics, optimizers)."""
        self = torch.nn.Parameter.__new__(cls, data, requires_grad)
        self._keras_name = name
        self._keras_path = path or name
        # The variable's own flag; a frozen layer turns requires_grad off without losing it.
        self._keras_trainable = requires_grad if trainable is None else trainable
        self.regularizer = None
        self.constraint = None
        return self

    def __init__(self, *args, **kwargs):  # (all done in __new__; Parameter has no __init__ args)
        super().__init__()

    def _set_distribution_strategy(self, aggregation, synchronization):
        """Check and keep `aggregation` and `synchronization` as Keras does (None is "none")."""
        if aggregation not in _AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `aggregation`. Expected one of `None`, `'none'`, "
                f"`'mean'`, `'sum'`, `'only_first_replica'`. Received: aggregation={aggregation}")
        if synchronization not in _SYNCHRONIZATIONS:
            raise ValueError(
                "Invalid value for argument `synchronization`. Expected one of `None`, "
                "`'none'`, `'on_read'`, `'on_write'`, `'auto'`. Received: "
                f"synchronization={synchronization}")
        if (aggregation or "none") != "none":
            self._aggregation = aggregation
        if (synchronization or "none") != "auto":
            self._synchronization = synchronization or "none"

    def numpy(self, force=False):
        """A copy of the value, as Keras's `Variable.numpy()` (and so `np.asarray(variable)`)
        gives: a snapshot, not a view that later `assign`s and optimizer steps would change."""
        value = self.detach()
        return value.numpy(force=force).copy() if value.device.type == "cpu" else \
            value.cpu().numpy(force=force)

    def assign(self, value):
        if _stateless.in_stateless_scope():  # recorded in the scope, the variable unchanged
            return _stateless.assign_in_scope(self, value)
        with torch.no_grad():
            self.copy_(torch.as_tensor(value, dtype=self.dtype, device=self.device))
        return self

    def assign_add(self, value):
        if _stateless.in_stateless_scope():
            return _stateless.assign_in_scope(self, value, "add")
        with torch.no_grad():
            self.add_(torch.as_tensor(value, dtype=self.dtype, device=self.device))
        return self

    def assign_sub(self, value):
        if _stateless.in_stateless_scope():
            return _stateless.assign_in_scope(self, value, "sub")
        with torch.no_grad():
            self.sub_(torch.as_tensor(value, dtype=self.dtype, device=self.device))
        return self

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)._from_tensor(self.data.clone(), self.requires_grad, self._keras_name,
                                         self._keras_path)
        result._keras_trainable = self._keras_trainable
        result.__dict__.update({key: self.__dict__[key] for key in _STRATEGY_KEYS
                                if key in self.__dict__})
        result.regularizer = copy.deepcopy(self.regularizer, memo)
        result.constraint = copy.deepcopy(self.constraint, memo)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        strategy = {key: self.__dict__[key] for key in _STRATEGY_KEYS if key in self.__dict__}
        return (_rebuild_variable, (self.data, self.requires_grad, self._keras_name,
                                    self._keras_path, self._keras_trainable, strategy))

    def __repr__(self):
        return (f"<Variable path={self._keras_path}, shape={tuple(self.shape)}, "
                f"dtype={str(self.dtype).replace('torch.', '')}>")


def to_numpy(tensor):
    """A copy of the whole value of `tensor` (a variable, an optimizer slot) as a numpy array.

    A tensor sharded between processes (a DTensor, under ModelParallel) is gathered: a collective
    that every process must call, unless its value was gathered beforehand
    (`lamina.distribution.gathered(model)`, which saving uses so that process 0 alone writes).
    """
    if _is_dtensor(tensor):
        from lamina.distribution import gathering

        return gathering.full_value(tensor)
    return tensor.detach().cpu().numpy().copy()


def assign_full(tensor, value):
    """Copy `value` (the whole value: an array or tensor of the tensor's shape) into `tensor`.
    A sharded tensor keeps only its own part of it (no communication)."""
    with torch.no_grad():
        if _is_dtensor(tensor):
            from lamina.distribution import gathering

            gathering.assign_full(tensor, value)
        else:
            value = value if isinstance(value, torch.Tensor) else np.asarray(value)
            tensor.copy_(torch.as_tensor(value, dtype=tensor.dtype, device=tensor.device))
    return tensor


def _is_dtensor(tensor):
    cls = _DTENSOR[0]
    if cls is None:
        if "torch.distributed.tensor" not in sys.modules:
            return False  # nothing can be a DTensor before that module is imported
        from torch.distributed.tensor import DTensor

        cls = _DTENSOR[0] = DTensor
    return isinstance(tensor, cls)


_DTENSOR = [None]
_AGGREGATIONS = (None, "none", "mean", "sum", "only_first_replica")
_SYNCHRONIZATIONS = (None, "none", "on_read", "on_write", "auto")
_STRATEGY_KEYS = ("_aggregation", "_synchronization", "_overwrite_with_gradient")
# Bumped whenever a variable's `overwrite_with_gradient` is set: optimizers cache which of
# their variables are overwritten and re-read the flags only when this changes.
OVERWRITE_FLAGS_CHANGED = [0]
_SHARDED_CLASS = [None]


def _rebuild_variable(data, requires_grad, name, path, trainable, strategy=None):
    variable = Variable._from_tensor(data, requires_grad, name, path, trainable)
    variable.__dict__.update(strategy or {})
    return variable


def _initial_value(initializer, shape, dtype):
    from lamina import config, initializers

    torch_dtype = None if dtype is None else config.to_torch_dtype(dtype)
    if isinstance(initializer, str) or (callable(initializer) and not isinstance(
            initializer, torch.Tensor)):
        if shape is None:
            raise ValueError(
                f"Variable(initializer={initializer!r}) needs a `shape` to call the initializer "
                "with, e.g. Variable(initializer='ones', shape=(3,)).")
        initializer = initializers.get(initializer)
        torch_dtype = torch_dtype or config.to_torch_dtype(None)
        value = initializer(tuple(shape), dtype=torch_dtype)
    else:
        value = initializer
    if isinstance(value, torch.Tensor):
        tensor = value.detach().clone()
    else:
        array = value.numpy() if hasattr(value, "numpy") and not hasattr(value, "__array__") \
            else value
        tensor = torch.as_tensor(np.asarray(array))
        if isinstance(array, (bool, int)) and not isinstance(array, bool):
            tensor = tensor.to(torch.int32)  # Keras makes Python ints int32
        if torch_dtype is None and tensor.is_floating_point():
            torch_dtype = config.to_torch_dtype(None)  # Python floats and float64 arrays: floatx
    if torch_dtype is not None:
        tensor = tensor.to(torch_dtype)
    if shape is not None and tuple(tensor.shape) != tuple(shape):
        raise ValueError(
            f"Variable(): the initial value has shape {tuple(tensor.shape)}, but shape="
            f"{tuple(shape)} was given.")
    return tensor
