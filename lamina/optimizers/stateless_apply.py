"""`Optimizer.stateless_apply`, and `Optimizer.apply` inside a `lamina.StatelessScope`.

An optimizer step is a chain of in-place multi-tensor kernels on the model's parameters and on
the optimizer's own tensors (slots, `iterations`), some of them through views (the fused Adam
path). Rather than redirecting each write, the step runs for real on working copies: every
tensor it touches has its storage swapped (`tensor.data = copy`) for a copy of the value given
for it, the step runs, the copies are taken out as the new values, and the original storage
is put back. The tensor objects never change, so the optimizer's caches (variable groups, its
`variables` views) stay valid, and neither the optimizer's state, the model's variables nor
the caller's tensors are written to.
"""

import torch

from lamina import stateless


def stateless_apply(optimizer, optimizer_values, grads, trainable_values):
    """`(trainable_variables, optimizer_variables)` after one step from the given values."""
    owner = f'{type(optimizer).__name__} "{optimizer.name}".stateless_apply()'
    _check_supported(optimizer, owner)
    if not optimizer.built:
        raise ValueError(
            f"{owner}: the optimizer is not built yet, so it has no variables to take values "
            "for. Build it first with `optimizer.build(model.trainable_variables)`.")
    variables = optimizer.variables
    stateless.check_values(optimizer_values, variables, "optimizer_variables", owner,
                           "optimizer.variables")
    stateless.check_values(trainable_values, optimizer._trainable_variables,
                           "trainable_variables", owner,
                           "the variables the optimizer was built with (model.trainable_variables)")
    grads = list(grads)
    if len(grads) != len(trainable_values):
        raise ValueError(
            f"{owner}: received {len(grads)} gradients for {len(trainable_values)} trainable "
            "variables; pass one gradient per variable (None for none).")
    return _step_on_copies(optimizer, variables, list(trainable_values),
                           list(optimizer_values), (grads,))


def apply_in_scope(optimizer, grads, trainable_variables):
    """`optimizer.apply(...)` inside a StatelessScope: the step reads the variables' values in
    the scope and records the values it writes there (as Keras's optimizers do)."""
    _check_supported(optimizer, f'{type(optimizer).__name__} "{optimizer.name}".apply()')
    scope = stateless.get_stateless_scope()
    grads = list(grads)
    if not optimizer.built:
        if trainable_variables is None:
            return optimizer.apply(grads)  # (raises the optimizer's own error)
        with stateless.suspended():
            optimizer.build(list(trainable_variables))
    variables = optimizer.variables
    model_variables = optimizer._trainable_variables
    new_trainable, new_optimizer = _step_on_copies(
        optimizer, variables, [scope._read(v) for v in model_variables],
        [scope._read(v) for v in variables], (grads, trainable_variables))
    for variable, value in zip(model_variables + variables, new_trainable + new_optimizer):
        scope.add_update((variable, value))


def _check_supported(optimizer, owner):
    if getattr(optimizer, "torch_optimizer", None) is not None:
        raise NotImplementedError(
            f"{owner}: a TorchOptimizer keeps its state inside the wrapped torch.optim "
            "optimizer, out of reach of the stateless API. Use a lamina optimizer (e.g. "
            "`lamina.optimizers.Adam`) for stateless training loops.")


def _step_on_copies(optimizer, variables, trainable_values, optimizer_values, apply_args):
    """Run `optimizer.apply(*apply_args)` with the model's variables and the optimizer's
    state holding copies of the given values; return the copies after the step, as
    `(trainable values, optimizer values)`. (All of them: the fused kernels do not move the
    version counters that would tell which ones the step wrote.)"""
    targets = list(optimizer._trainable_variables) + _state_tensors(optimizer, variables)
    values = trainable_values + optimizer_values
    mirrors = _host_mirrors(optimizer)
    swapped = []  # (tensor, original storage, working copy)
    try:
        with torch.no_grad(), stateless.suspended():
            for target, value in zip(targets, values):
                work = torch.empty_like(target.data)  # (keeps the memory format)
                work.copy_(value.detach() if isinstance(value, torch.Tensor) else
                           torch.as_tensor(value))
                original = target.data
                target.data = work
                swapped.append((target, original, work))
            for each, _ in mirrors:
                each._host_step_version = -1  # read the given `iterations` when needed
            optimizer.apply(*apply_args)
    finally:
        for target, original, _ in swapped:
            target.data = original
        for each, (step, version, in_sync) in mirrors:
            each._host_step = step
            # (the swap moved the counter's version on; its value is the original again)
            each._host_step_version = each._iterations._version if in_sync else version
    results = [work for _, _, work in swapped]
    count = len(trainable_values)
    return results[:count], results[count:]


def _state_tensors(optimizer, variables):
    """The tensors the optimizer's update writes, one per entry of `variables` (which are
    Variable views of them, made by `Optimizer._as_keras_variable`)."""
    behind = {}
    for each in _optimizer_tree(optimizer):
        for tensor, alias in each.__dict__.get("_keras_variables", {}).values():
            behind[id(alias)] = tensor
    tensors = []
    for variable in variables:
        tensor = behind.get(id(variable), variable)
        if tensor.data_ptr() != variable.data_ptr() or tensor.shape != variable.shape:
            raise NotImplementedError(
                f"Optimizer '{optimizer.name}': its variable {variable.path!r} is not a view of "
                "the tensor its update writes, so the stateless API cannot run it.")
        tensors.append(tensor)
    return tensors


def _optimizer_tree(optimizer):
    """The optimizer and the optimizers it wraps (LossScaleOptimizer, MultiOptimizer)."""
    found, stack = [], [optimizer]
    while stack:
        each = stack.pop()
        if any(each is seen for seen in found):
            continue
        found.append(each)
        inner = each.__dict__.get("inner_optimizer")
        if inner is not None:
            stack.append(inner)
        stack.extend(each.__dict__.get("_inner_optimizers", ()))
    return found


def _host_mirrors(optimizer):
    """Each optimizer's Python mirror of its step counter, to put back after the step."""
    mirrors = []
    for each in _optimizer_tree(optimizer):
        if "_iterations" in each.__dict__:
            in_sync = each._iterations._version == each._host_step_version
            mirrors.append((each, (each._host_step, each._host_step_version, in_sync)))
    return mirrors
