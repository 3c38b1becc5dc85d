"""Keras's stateless API on torch: `StatelessScope` and the helpers behind `Layer.stateless_call`,
`Model.stateless_compute_loss` and the `Metric.stateless_*` methods.

A lamina variable is a `torch.nn.Parameter` that layers read straight from their attributes, so
a scope cannot swap values by changing what the attributes hold (a custom layer's
`self.w.assign(...)` must keep working). Instead, while a scope is open, a
`torch.overrides.TorchFunctionMode` sees every torch operation and its arguments:

* a variable passed to an operation is replaced by its value in the scope (the mapped value,
  or the last value assigned in the scope), so gradients flow to the mapped tensors;
* an operation that would write into a variable (`v.add_(1)`, `v.copy_(x)`, `v[0] = 1`,
  `torch._foreach_mul_([v, ...], m)`, `out=v`, batch norm's running statistics) writes into
  a fresh copy of the variable's value instead, and that copy becomes its value in the scope;
* `Variable.assign` / `assign_add` / `assign_sub` record the new value in the scope.

Neither the variables nor the tensors given in `state_mapping` are ever written to. What the
mode cannot see is listed in docs/differences.md (reads that bypass torch's Python API, writes
through `.data`); `Layer.stateless_call` checks that the tensors it was given were left as they
were, and raises otherwise.
"""

import threading

import torch
from torch.overrides import TorchFunctionMode

from lamina.registry.export import keras_export


class _ScopeState(threading.local):
    def __init__(self):
        self.scope = None  # the innermost open StatelessScope of this thread
        self.mode = None  # the TorchFunctionMode pushed by the outermost one


_STATE = _ScopeState()


def get_stateless_scope():
    """The innermost open `StatelessScope` of this thread, or None."""
    return _STATE.scope


def in_stateless_scope():
    return _STATE.scope is not None


@keras_export("StatelessScope")
class StatelessScope:
    """A context in which no lamina variable changes.

    Args:
        state_mapping: pairs `(variable, value)`: inside the scope, the variable reads as
            `value` (a tensor or array of the variable's shape; cast to its dtype).
        collect_losses: whether losses added by layers (`add_loss`, activity regularizers)
            inside the scope are collected in `scope.losses`. Otherwise they are dropped, and
            the layers' own losses are left as they were.
        initialize_variables: accepted for Keras compatibility. lamina creates every variable
            with its value, so there is nothing left to initialize on exit.

    Assigning a variable inside the scope (`assign`, in-place torch operations) records the
    new value in the scope instead; read it with `scope.get_current_value(variable)`.

    Example:

    ```python
    mapping = [(w, torch.ones_like(w)) for w in model.weights]
    with lamina.StatelessScope(mapping) as scope:
        outputs = model(x)          # computed with all weights set to one
    # the model's weights are unchanged
    ```
    """

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses = []
        self.state_mapping = {}  # id(variable) -> its value in the scope
        self._variables = {}  # id(variable) -> variable (keeps the ids valid)
        self._loss_owners = []  # (layer, call id) of each entry of `losses`; None for add_loss
        for pair in state_mapping or ():
            variable, value = pair
            if not isinstance(variable, torch.nn.Parameter):
                raise ValueError(
                    "StatelessScope(state_mapping=...) takes (variable, value) pairs whose first "
                    "item is a lamina.Variable (or a torch Parameter of a layer); received "
                    f"{type(variable).__name__} {_short(variable)}.")
            value = _as_value(value, variable)
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"StatelessScope(state_mapping=...): the value given for variable "
                    f"{_variable_label(variable)} has shape {tuple(value.shape)}, but the "
                    f"variable has shape {tuple(variable.shape)}. Pass a value of the "
                    "variable's shape.")
            self._set(variable, value)

    def __enter__(self):
        self._previous = _STATE.scope
        if _STATE.mode is None:
            mode = _VariableMode()
            mode.__enter__()
            _STATE.mode = mode
            self._owns_mode = True
        else:
            self._owns_mode = False
        _STATE.scope = self
        return self

    def __exit__(self, *exc):
        _STATE.scope = self._previous
        if self._owns_mode:
            mode, _STATE.mode = _STATE.mode, None
            mode.__exit__(*exc)
        return False

    def add_loss(self, loss):
        self.losses.append(loss)
        self._loss_owners.append(None)

    def add_update(self, update):
        """Record `(variable, value)`: the variable's new value in this scope."""
        variable, value = update
        self._set(variable, value)

    def get_current_value(self, variable):
        """The variable's value in this scope (mapped or assigned), or None if it has none."""
        return self.state_mapping.get(id(variable))

    # ---------------------------------------------------------------- lamina's internals
    def _set(self, variable, value):
        self.state_mapping[id(variable)] = value
        self._variables[id(variable)] = variable

    def _read(self, variable):
        value = self.state_mapping.get(id(variable))
        return variable if value is None else value

    def _collect_layer_loss(self, layer, loss, call_id):
        """A loss a layer adds (`add_loss`, activity regularizer) while this scope is open:
        collected when `collect_losses`, else dropped. A layer's losses of an earlier
        outermost call are replaced, as a layer call clears them outside a scope."""
        if not self.collect_losses:
            return
        stale = [i for i, owner in enumerate(self._loss_owners)
                 if owner is not None and owner[0] is layer and owner[1] != call_id]
        for i in reversed(stale):
            del self.losses[i]
            del self._loss_owners[i]
        self.losses.append(loss)
        self._loss_owners.append((layer, call_id))

    def _layer_losses(self, layers, since):
        """The collected losses that `layers` added during calls from `since` on."""
        ids = {id(layer) for layer in layers}
        return [loss for loss, owner in zip(self.losses, self._loss_owners)
                if owner is not None and id(owner[0]) in ids and owner[1] >= since]


class suspended:  # noqa: N801 - a `with` statement
    """Run a block outside any StatelessScope (lamina's own code that writes for real, on
    tensors it made for the purpose)."""

    def __enter__(self):
        self._scope, _STATE.scope = _STATE.scope, None

    def __exit__(self, *exc):
        _STATE.scope = self._scope
        return False


# ------------------------------------------------------------------------ the torch mode
# Python-level names of operations that write into their first argument.
_INPLACE_DUNDERS = frozenset({
    "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__", "__ipow__",
    "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__", "__imatmul__",
    "__setitem__"})
# Names ending in "_" that change no values.
_NOT_WRITES = frozenset({"requires_grad_", "share_memory_", "retain_grad", "record_stream",
                         "_fix_weakref"})
# Properties computed from the variable's value (`data` aside; others, like `shape` or
# `requires_grad`, are read from the variable itself).
_VALUE_PROPERTIES = frozenset({"T", "mT", "H", "mH", "real", "imag"})
# Normalization kernels that update running statistics in place (see _running_statistics).
_UPDATE_RUNNING_STATS = frozenset({"batch_norm", "instance_norm"})


class _VariableMode(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        scope = _STATE.scope
        if scope is None or not _has_parameter(args, kwargs):
            return func(*args, **kwargs)
        return _run(scope, func, args, kwargs)


def _is_variable(value):
    """A Parameter (a lamina Variable, or a torch module's weight)? (By type: faster than
    isinstance, which goes through Parameter's metaclass; this runs for every operation.)"""
    cls = type(value)
    return cls is not torch.Tensor and issubclass(cls, torch.nn.Parameter)


def _has_parameter(args, kwargs):
    for value in args:
        cls = type(value)
        if cls is torch.Tensor:
            continue
        if cls is list or cls is tuple:
            if any(map(_is_variable, value)):
                return True
        elif issubclass(cls, torch.nn.Parameter):
            return True
    for value in kwargs.values():
        cls = type(value)
        if cls is list or cls is tuple:
            if any(map(_is_variable, value)):
                return True
        elif cls is not torch.Tensor and issubclass(cls, torch.nn.Parameter):
            return True
    return False


def _run(scope, func, args, kwargs):
    name = getattr(func, "__name__", "")
    if name == "__get__":  # a property: `v.data` reads the value, `v.shape` the variable
        prop = getattr(getattr(func, "__self__", None), "__name__", "")
        if prop == "data":  # (a detached view: it shares the value's version counter)
            return scope._read(args[0]).detach()
        if prop in _VALUE_PROPERTIES:
            return func(scope._read(args[0]), *args[1:])
        return func(*args, **kwargs)
    if name == "__set__":  # `v.data = ...`, `v.grad = ...`: on the variable itself
        return func(*args, **kwargs)
    args, kwargs = list(args), dict(kwargs)
    written = []  # (variable, the fresh tensor written instead)
    for where in _written_arguments(name, func, args, kwargs):
        container = kwargs if isinstance(where, str) else args
        container[where] = _fresh_targets(scope, container[where], written)
    watched = []  # (tensor, version): what must not change (see the end)
    for index, value in enumerate(args):
        args[index] = _substituted(scope, value, watched)
    for key, value in kwargs.items():
        kwargs[key] = _substituted(scope, value, watched)
    result = func(*args, **kwargs)
    for variable, fresh in written:
        scope._set(variable, fresh)
    for tensor, version in watched:
        if tensor._version != version:
            raise RuntimeError(
                f"Inside a StatelessScope, the torch operation `{name or func}` wrote into "
                f"{_variable_label(tensor)} in a way lamina cannot redirect, so the variable "
                "(or the value mapped to it) was changed in place. Write new values with "
                "`variable.assign(...)` or an in-place method of the variable itself.")
    for variable, fresh in written:
        if result is fresh:  # an in-place method returns its target: give the variable back
            return variable
    return result


def _written_arguments(name, func, args, kwargs):
    """Positions (ints into args) and keywords of the arguments that `func` writes into."""
    where = []
    if name in _INPLACE_DUNDERS or (name.endswith("_") and not name.endswith("__")
                                    and name not in _NOT_WRITES):
        if name.startswith("_fused_"):  # fused optimizer kernels write all their state lists
            where.extend(i for i, a in enumerate(args) if isinstance(a, (list, tuple)))
        elif args:
            where.append(0)
    if kwargs.get("out") is not None:
        where.append("out")
    if kwargs.get("inplace") is True and args:
        where.append(0)
    if name in _UPDATE_RUNNING_STATS:
        where.extend(_running_statistics(name, func, args, kwargs))
    return where


def _running_statistics(name, func, args, kwargs):
    """Where the running mean and variance are, when this call updates them."""
    if name == "instance_norm":
        # F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats=True)
        positions, flag, flag_key, default = (1, 2), 5, "use_input_stats", True
    elif getattr(func, "__module__", "") == "torch.nn.functional":
        # F.batch_norm(input, running_mean, running_var, weight, bias, training=False, ...)
        positions, flag, flag_key, default = (1, 2), 5, "training", False
    else:  # torch.batch_norm(input, weight, bias, running_mean, running_var, training, ...)
        positions, flag, flag_key, default = (3, 4), 5, "training", False
    updating = kwargs.get(flag_key, args[flag] if len(args) > flag else default)
    if not updating:
        return []
    where = []
    for key, position in zip(("running_mean", "running_var"), positions):
        if key in kwargs:
            where.append(key)
        elif position < len(args):
            where.append(position)
    return where


def _fresh_targets(scope, value, written):
    """A copy of the scope value of each variable in `value` (a tensor or a list of them)."""
    if _is_variable(value):
        fresh = scope._read(value).clone()
        written.append((value, fresh))
        return fresh
    if isinstance(value, (list, tuple)):
        return type(value)(_fresh_targets(scope, item, written) for item in value)
    return value


def _substituted(scope, value, watched):
    if _is_variable(value):
        current = scope._read(value)
        watched.append((current, current._version))
        return current
    if isinstance(value, (list, tuple)) and any(map(_is_variable, value)):
        return type(value)(_substituted(scope, item, watched) for item in value)
    return value


# ------------------------------------------------------------------------ helpers
def _as_value(value, variable):
    """A mapped value as a tensor in the variable's dtype (gradients flow through the cast)."""
    if isinstance(value, torch.Tensor):
        return value if value.dtype == variable.dtype else value.to(variable.dtype)
    import numpy as np

    return torch.as_tensor(np.asarray(value), dtype=variable.dtype, device=variable.device)


def _variable_label(variable):
    path = getattr(variable, "_keras_path", None)
    return f"variable '{path}'" if path else f"a tensor of shape {tuple(variable.shape)}"


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_values(values, variables, argument, owner, fix):
    """`values` (a list of tensors) pairs one to one with `variables`, else a ValueError."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise ValueError(
            f"{owner}: `{argument}` must be a list of tensors, one per variable of {fix}; "
            f"received {type(values).__name__}.")
    if len(values) != len(variables):
        raise ValueError(
            f"{owner}: `{argument}` must hold one tensor per variable of {fix} "
            f"({len(variables)} variables, in that order); received {len(values)}. Pass "
            f"`[v.value for v in {fix}]`, or values in that order.")


def assign_in_scope(variable, value, combine=None):
    """`variable.assign(value)` (or `assign_add` / `assign_sub` with `combine` "add" / "sub")
    inside a scope: the new value is recorded there, with its autograd history."""
    scope = _STATE.scope
    if not isinstance(value, torch.Tensor):
        import numpy as np

        value = torch.as_tensor(np.asarray(value), device=variable.device)
    value = value.to(dtype=variable.dtype)
    if combine is not None:
        current = scope._read(variable)
        with suspended():
            value = current + value if combine == "add" else current - value
    if tuple(value.shape) != tuple(variable.shape):
        try:  # (as `assign` outside a scope, which copies with broadcasting)
            with suspended():
                value = torch.broadcast_to(value, variable.shape)
        except RuntimeError:
            raise ValueError(
                f"{_variable_label(variable).capitalize()} has shape {tuple(variable.shape)}; "
                f"assign() received a value of shape {tuple(value.shape)}, which does not "
                "broadcast to it.") from None
    scope.add_update((variable, value))
    return variable


def check_variable_creation(initializer):
    """Keras's rule: inside a StatelessScope, a variable may only be made from an initializer
    (a layer's `add_weight`), not from a value."""
    if isinstance(initializer, str) or (callable(initializer)
                                        and not isinstance(initializer, torch.Tensor)):
        return
    raise ValueError(
        "A lamina.Variable cannot be created from a value inside a StatelessScope. Create the "
        "variables before opening the scope (build the layer or model first, e.g. by calling it "
        "on data), or create them inside `build()` with `self.add_weight(...)`.")


# ------------------------------------------------------------------------ the stateless API
def stateless_call(layer, trainable_values, non_trainable_values, args, kwargs, return_losses):
    """`Layer.stateless_call`."""
    owner = f'{type(layer).__name__} "{layer.name}".stateless_call()'
    if not layer.built:
        raise ValueError(
            f"{owner}: the layer is not built yet, so it has no variables to take values for. "
            "Build it first, e.g. by calling it once on data or on `lamina.Input(...)`, or with "
            "`layer.build(input_shape)`.")
    trainable = layer.trainable_variables
    non_trainable = layer.non_trainable_variables
    check_values(trainable_values, trainable, "trainable_variables", owner,
                 "layer.trainable_variables")
    check_values(non_trainable_values, non_trainable, "non_trainable_variables", owner,
                 "layer.non_trainable_variables")
    mapping = list(zip(trainable, trainable_values)) + list(zip(non_trainable,
                                                                 non_trainable_values))
    with StatelessScope(mapping, collect_losses=return_losses) as scope:
        given = [(scope._read(v), scope._read(v)._version) for v in trainable + non_trainable]
        outputs = layer(*args, **kwargs)
        losses = layer.losses if return_losses else None
    for value, version in given:
        if value._version != version:
            raise RuntimeError(
                f"{owner}: a tensor given as a variable value was changed in place during the "
                "call (through a view or `.data`, which a StatelessScope cannot redirect). Make "
                "the layer write new values with `variable.assign(...)`.")
    updated = [scope.get_current_value(v) for v in non_trainable]
    if return_losses:
        return outputs, updated, losses
    return outputs, updated


def stateless_compute_loss(model, trainable_values, non_trainable_values, metrics_values, x, y,
                           y_pred, sample_weight, training):
    """`Model.stateless_compute_loss`: `loss, (trainable_variables, non_trainable_variables,
    metrics_variables)`."""
    owner = f'Model "{model.name}".stateless_compute_loss()'
    trainable = model.trainable_variables
    non_trainable = model.non_trainable_variables
    metrics = model.metrics_variables
    check_values(trainable_values, trainable, "trainable_variables", owner,
                 "model.trainable_variables")
    check_values(non_trainable_values, non_trainable, "non_trainable_variables", owner,
                 "model.non_trainable_variables")
    check_values(metrics_values, metrics, "metrics_variables", owner, "model.metrics_variables")
    mapping = (list(zip(trainable, trainable_values))
               + list(zip(non_trainable, non_trainable_values))
               + list(zip(metrics, metrics_values)))
    with StatelessScope(mapping) as scope:
        loss = model._compute_loss(x, y, y_pred, sample_weight, training)
        _track_output_losses(model, y_pred)
    # (The first call after compile() makes compile()'s metrics: the list may have grown.)
    return loss, (
        trainable_values,
        [scope.get_current_value(v) for v in non_trainable],
        [_value_or_copy(scope, v) for v in model.metrics_variables],
    )


def _track_output_losses(model, y_pred):
    """Keras's compute_loss also adds each output's loss to its `<output>_loss` metric (a model
    with several outputs); lamina's train_step does it after compute_loss. The stateless
    version does it here, so the metric variables it returns are Keras's."""
    trackers = getattr(model, "_output_loss_trackers", None)
    values = model.__dict__.get("_last_output_losses") or ()
    if not trackers or not values:
        return
    batch = next((t.shape[0] for t in _flat_tensors(y_pred)), None)
    for tracker, value in zip(trackers, values):
        if value is not None:
            tracker.update_state(value, sample_weight=batch)


def _flat_tensors(structure):
    from lamina.utils import tree

    return [t for t in tree.flatten(structure) if isinstance(t, torch.Tensor)]


def _value_or_copy(scope, variable):
    value = scope.get_current_value(variable)
    return variable.detach().clone() if value is None else value


def metric_update_state(metric, metric_values, args, kwargs):
    """`Metric.stateless_update_state`: the new values of `metric.variables`."""
    variables = metric.variables
    check_values(metric_values, variables, "metric_variables",
                 f'{type(metric).__name__} "{metric.name}".stateless_update_state()',
                 "metric.variables")
    from lamina.metrics.metric import _data_device

    device = _data_device(args, kwargs)  # (lamina's metric state follows the data)
    values = [v.to(device) if device is not None and isinstance(v, torch.Tensor) else v
              for v in metric_values]
    with StatelessScope(list(zip(variables, values))) as scope:
        metric.update_state(*args, **kwargs)
    return [_value_or_copy(scope, v) for v in variables]


def metric_result(metric, metric_values):
    """`Metric.stateless_result`: `result()` computed from the given values."""
    variables = metric.variables
    check_values(metric_values, variables, "metric_variables",
                 f'{type(metric).__name__} "{metric.name}".stateless_result()',
                 "metric.variables")
    with StatelessScope(list(zip(variables, metric_values))):
        return metric.result()


def metric_reset_state(metric):
    """`Metric.stateless_reset_state`: the values `reset_state()` would give the variables."""
    with StatelessScope() as scope:
        metric.reset_state()
    return [_value_or_copy(scope, v) for v in metric.variables]
