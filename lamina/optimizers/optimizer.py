"""The base class of every optimizer: its state, the per-step pipeline, and its config.

One step (`apply`) runs, as in Keras: drop variables without a gradient -> unscale
(`loss_scale_factor`) -> [gradient accumulation] -> clip -> decoupled weight decay ->
the algorithm's update -> moving average of the weights (`use_ema`) -> constraints ->
`iterations += 1`.

Everything stays on the parameters' device: `iterations` is an int64 0-d tensor there, and the
learning rate, bias corrections and schedules are computed from it as tensors. The only host-side
decisions (is this an accumulation step? overwrite with the EMA now?) read a Python mirror of the
step counter, re-read from the device only if someone else changed `iterations`.

Subclasses create their slots in `build` with `add_optimizer_variables` and implement the math in
`_update_group` with `torch._foreach_*` kernels. A Keras-style subclass that implements only the
per-variable `update_step(gradient, variable, learning_rate)` works too, one variable at a time.
"""

import re
import warnings

import numpy as np
import torch

from lamina import config as lamina_config
from lamina import stateless
from lamina import variables as lamina_variables
from lamina.optimizers import gradient_clipping
from lamina.optimizers import optimizer_arguments
from lamina.optimizers import slot_values
from lamina.optimizers import stateless_apply
from lamina.optimizers import variable_group
from lamina.optimizers.schedules import learning_rate_schedule
from lamina.registry import serialization
from lamina.registry.export import keras_export
from lamina.utils import arguments
from lamina.utils import naming


@keras_export("optimizers.Optimizer", "Optimizer")
class Optimizer:
    """Base class of optimizers.

    Args:
        learning_rate: A float, a `keras.optimizers.schedules.LearningRateSchedule`, or a
            callable without arguments that returns the learning rate.
        weight_decay: If set, every step first shrinks each variable by
            `variable * weight_decay * learning_rate` (decoupled weight decay, as AdamW).
        clipnorm: If set, each gradient is scaled so its L2 norm is at most this value.
        clipvalue: If set, each gradient element is clipped to `[-clipvalue, clipvalue]`.
        global_clipnorm: If set, all gradients are scaled together so their joint L2 norm is at
            most this value. Only one of the three clipping arguments may be set.
        use_ema: Keep an exponential moving average of the weights.
        ema_momentum: Momentum of that average: `average = m * average + (1 - m) * weight`.
        ema_overwrite_frequency: With `use_ema`, copy the average into the weights every this
            many steps; if None, call `finalize_variable_values()` at the end of training.
        loss_scale_factor: Multiply the loss by this in `scale_loss()` and divide the gradients
            by it before the update (mixed-precision training).
        gradient_accumulation_steps: Update the weights only every this many steps, with the
            mean of the gradients received since the last update.
        name: Name of the optimizer, used in the names of its variables.

    Keras 1/2 spellings: `lr=` means `learning_rate=`, and `decay=` is the old time-based
    decay, `learning_rate / (1 + decay * iterations)`; both warn with a `DeprecationWarning`.
    """

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        learning_rate, self.decay = optimizer_arguments.take_legacy_arguments(
            type(self), learning_rate, kwargs
        )
        valid = optimizer_arguments.valid_keywords(type(self))
        arguments.check_kwargs(kwargs, valid, type(self).__name__)
        optimizer_arguments.check_clipping(clipnorm, clipvalue, global_clipnorm)
        optimizer_arguments.check_non_negative(type(self).__name__ + "()",
                                               weight_decay=weight_decay)
        optimizer_arguments.check_ema(use_ema, ema_momentum, ema_overwrite_frequency)
        optimizer_arguments.check_accumulation(gradient_accumulation_steps)
        self.name = name or naming.unique_name(naming.to_snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps

        self._iterations = torch.zeros((), dtype=torch.int64)
        self._host_step = 0  # Python mirror of `_iterations`, valid while the version matches
        self._host_step_version = self._iterations._version
        self._learning_rate = optimizer_arguments.as_learning_rate(learning_rate)
        self._slots = []  # (name, tensor, index of the variable it shadows or None), in order
        self._trainable_variables = []
        self._variable_ids = ()
        self._overwrite_flags_seen, self._overwritten, self._updated = -1, frozenset(), ()
        self._variable_indices = {}
        self._groups = {}
        self._exclude_ids = set()
        self._exclude_pattern = None
        self._warned_missing_gradients = False
        self.built = False

    # ----------------------------------------------------------------------------- state

    @property
    def iterations(self):
        """Number of updates applied so far, on the variables' device.

        A `keras.Variable` (int64) viewing the optimizer's own counter, as in Keras: `.numpy()`,
        `int(...)`, `.assign(0)` all work. With `gradient_accumulation_steps`, this counts real
        updates (calls // steps) and is a plain 0-d tensor computed from the counter.
        """
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._as_keras_variable(self._iterations, f"{self.name}/iteration")

    def _update_count(self):
        """`iterations` as a plain tensor, for the update formulas (no Variable view)."""
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    @property
    def learning_rate(self):
        """The learning rate for the next step, as a 0-d tensor.

        For a float learning rate this is the optimizer's own variable; assign to the property to
        change it (`optimizer.learning_rate = 0.01`). For a schedule, the schedule's value at the
        current step. (With the Keras 2 `decay=`, this is the undecayed rate, as in Keras 2.)
        A float rate is a `keras.Variable` (a view of the optimizer's own tensor), so callbacks
        can `optimizer.learning_rate.assign(value)` as in Keras.
        """
        if isinstance(self._learning_rate, torch.Tensor) and \
                type(self._learning_rate) is torch.Tensor:
            return self._as_keras_variable(self._learning_rate, f"{self.name}/learning_rate")
        return self._base_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, learning_rate_schedule.LearningRateSchedule) or callable(value):
            self._learning_rate = value
        elif isinstance(self._learning_rate, learning_rate_schedule.LearningRateSchedule):
            raise TypeError(
                f"The learning rate of optimizer '{self.name}' is a "
                f"{type(self._learning_rate).__name__} schedule, so it cannot be set to a number. "
                "Create the optimizer with a float `learning_rate` to be able to set it."
            )
        elif isinstance(self._learning_rate, torch.Tensor):
            with torch.no_grad():
                if isinstance(value, torch.Tensor):
                    self._learning_rate.copy_(value.detach().reshape(()))
                else:
                    self._learning_rate.fill_(float(value))
        else:  # it was a callable: the optimizer gets a variable again
            learning_rate = optimizer_arguments.as_learning_rate(value)
            self._learning_rate = learning_rate.to(self._iterations.device)

    @property
    def lr(self):
        """Keras 1/2 name of `learning_rate`."""
        arguments.warn_deprecated("optimizer.lr", "optimizer.learning_rate", type(self).__name__)
        return self.learning_rate

    @lr.setter
    def lr(self, value):
        arguments.warn_deprecated("optimizer.lr", "optimizer.learning_rate", type(self).__name__)
        self.learning_rate = value

    @property
    def variables(self):
        """The optimizer's state in Keras's save order: iteration, learning rate (unless it is a
        schedule), then the slots in the order they were created.

        Each is a `keras.Variable` with Keras's `name` and `path` ("adam/iteration",
        "adam/dense_kernel_momentum"), `assign`, `numpy`: a view of the tensor the update
        works on (same memory, same version counter), made once and kept. The update itself
        keeps to the plain tensors. (Sharded state under ModelParallel stays as it is.)"""
        return [self._as_keras_variable(tensor, path)
                for tensor, path in zip(self._state_tensors(), self._own_variable_names(),
                                        strict=True)]

    def _state_tensors(self):
        head = [self._iterations]
        if isinstance(self._learning_rate, torch.Tensor):
            head.append(self._learning_rate)
        return head + [tensor for _, tensor, _ in self._slots]

    def _as_keras_variable(self, tensor, path):
        if isinstance(tensor, lamina_variables.Variable) or type(tensor) is not torch.Tensor:
            return tensor  # already one, or a sharded (DTensor) slot
        aliases = self.__dict__.setdefault("_keras_variables", _AliasCache())
        entry = aliases.get(id(tensor))
        if entry is None or entry[0] is not tensor or entry[1].data_ptr() != tensor.data_ptr():
            alias = lamina_variables.Variable._from_tensor(
                tensor, False, path.rpartition("/")[2], path, trainable=False)
            entry = aliases[id(tensor)] = (tensor, alias)
        return entry[1]

    @property
    def variable_names(self):
        """Keras-style names of `variables`, e.g. `adam/dense_kernel_momentum`."""
        return self._own_variable_names()

    def _own_variable_names(self):
        names = [f"{self.name}/iteration"]
        if isinstance(self._learning_rate, torch.Tensor):
            names.append(f"{self.name}/learning_rate")
        return names + [f"{self.name}/{name}" for name, _, _ in self._slots]

    # ----------------------------------------------------------------------------- building

    def build(self, variables):
        """Create the optimizer's state for `variables` (a list of torch Parameters).

        Subclasses call `super().build(variables)` first, then create their slots.
        """
        variables = list(variables)
        if variables:
            self._move_counters_to(variables[0].device)
        self._trainable_variables = variables
        self._variable_ids = tuple(map(id, variables))
        self._overwrite_flags_seen = -1
        self._overwritten_indices()  # (read the flags now, not first inside a compiled step)
        self._variable_indices = {id(v): i for i, v in enumerate(variables)}
        self._groups = {}
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(
                variables, "average"
            )
        if self.gradient_accumulation_steps:
            # (one per variable, overwritten ones included: they accumulate their maximum)
            self._accumulated_gradients = [
                self.add_variable_from_reference(variable, "gradient_accumulator")
                for variable in variables]
        self.built = True

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None, device=None):
        """Create one optimizer variable (a tensor, not trained) and track it in `variables`."""
        dtype = lamina_config.to_torch_dtype(dtype)
        device = device or self._iterations.device
        tensor = slot_values.initial_value(initializer, tuple(shape), dtype, device)
        self._slots.append((name or "variable", tensor, None))
        return tensor

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """Create a slot shaped like `reference_variable`, on its device and in its dtype."""
        index = self._variable_indices.get(id(reference_variable))
        slot_name = f"{slot_values.slot_prefix(reference_variable, index)}_{name or 'var'}"
        with torch.no_grad():
            if initializer == "zeros":
                # zeros_like keeps the parameter's memory format (e.g. channels_last), which
                # keeps the multi-tensor kernels on their fast path.
                tensor = torch.zeros_like(reference_variable, requires_grad=False)
            else:
                tensor = slot_values.initial_value(
                    initializer,
                    tuple(reference_variable.shape),
                    reference_variable.dtype,
                    reference_variable.device,
                )
        self._slots.append((slot_name, tensor, index))
        return tensor

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per variable for each name in `name` (a string or a list of strings).

        Slots are created variable by variable (all names for the first variable, then for the
        next), which is the order Keras saves them in.
        """
        names = [name] if isinstance(name, str) else list(name)
        created = tuple([] for _ in names)
        for variable in trainable_variables:
            # A variable the optimizer overwrites with its gradient gets no slot (None), as in
            # Keras: saved optimizer states then list the same variables.
            overwritten = getattr(variable, "overwrite_with_gradient", False)
            for slots, slot_name in zip(created, names):
                slots.append(None if overwritten else
                             self.add_variable_from_reference(variable, slot_name, initializer))
        return created[0] if isinstance(name, str) else created

    def _get_variable_index(self, variable):
        return self._variable_indices[id(variable)]

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Skip weight decay for the variables in `var_list` and for every variable whose name
        contains (as a regular expression search) one of `var_names`, e.g. `["bias"]`.

        A variable's name is the last part of the `path` attribute layers set on their
        parameters: "bias" for "dense/bias", as in Keras.
        """
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None
        self._groups = {}  # groups cache which variables get decay

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        if self._exclude_pattern is not None:
            name = slot_values.variable_name(variable)
            if name is not None and self._exclude_pattern.search(name):
                return False
        return True

    # ----------------------------------------------------------------------------- one step

    def apply_gradients(self, grads_and_vars):
        """`apply` for a list of `(gradient, variable)` pairs; returns `iterations`."""
        grads, trainable_variables = zip(*grads_and_vars)
        self.apply(grads, trainable_variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Update `trainable_variables` in place with `grads` (None entries are skipped).

        Without `trainable_variables`, the gradients must match the built variables one to one.
        The optimizer builds itself on the first call if `build` was not called.
        """
        if stateless.in_stateless_scope():  # the new values go into the scope (as Keras)
            return stateless_apply.apply_in_scope(self, grads, trainable_variables)
        if torch.is_grad_enabled():  # (a `with` here: cheaper per step than the decorator)
            with torch.no_grad():
                return self._apply_without_grad(grads, trainable_variables)
        return self._apply_without_grad(grads, trainable_variables)

    def _apply_without_grad(self, grads, trainable_variables):
        grads = list(grads)
        if not grads:
            return
        indices = self._indices_of(grads, trainable_variables)
        indices, grads = self._present_gradients(indices, grads)
        if lamina_variables.OVERWRITE_FLAGS_CHANGED[0] and self._overwritten_indices():
            indices, grads = self._overwrite_with_gradients(indices, grads)
        if grads:
            if self.loss_scale_factor is not None:
                grads = torch._foreach_div(grads, self.loss_scale_factor)
            if self.gradient_accumulation_steps:
                self._accumulate_or_update(indices, grads)
            else:
                self._update(indices, grads)
        if self.use_ema:
            self._update_moving_average()
        self._advance_iterations()

    def _overwritten_indices(self):
        """Positions of the built variables whose `overwrite_with_gradient` is set (cached
        until a flag changes anywhere)."""
        if self._overwrite_flags_seen != lamina_variables.OVERWRITE_FLAGS_CHANGED[0]:
            self._overwrite_flags_seen = lamina_variables.OVERWRITE_FLAGS_CHANGED[0]
            variables = self._trainable_variables or ()
            self._overwritten = frozenset(
                i for i, variable in enumerate(variables)
                if getattr(variable, "overwrite_with_gradient", False))
            self._updated = tuple(i for i in range(len(variables)) if i not in self._overwritten)
        return self._overwritten

    def _overwrite_with_gradients(self, indices, grads):
        """Variables flagged `overwrite_with_gradient` take their gradient as their new value
        (no learning rate, clipping or decay: float8 training computes new scales as
        "gradients"); the other pairs are returned. With gradient accumulation the value is
        the largest gradient of the accumulated steps, written on the update step, as Keras
        does."""
        overwritten = self._overwritten
        kept_indices, kept_grads = [], []
        steps = self.gradient_accumulation_steps
        update_step = not steps or (self._host_iterations() + 1) % steps == 0
        for index, grad in zip(indices, grads):
            if index not in overwritten:
                kept_indices.append(index)
                kept_grads.append(grad)
                continue
            variable = self._trainable_variables[index]
            if steps:
                accumulator = self._accumulated_gradients[index]
                largest = torch.maximum(grad, accumulator)
                if update_step:
                    variable.copy_(largest)
                    accumulator.zero_()
                else:
                    accumulator.copy_(largest)
            else:
                variable.copy_(grad)
        return tuple(kept_indices), kept_grads

    def _update(self, indices, grads):
        """Clip, decay and update the variables at `indices` with their `grads`."""
        grads = self._clip_gradients(grads)
        learning_rate = self._learning_rate_for_update()
        groups = self._groups_for(indices)
        if self.weight_decay:
            for group in groups:
                if group.decayed:
                    factor = 1.0 - self.weight_decay * group.cast(learning_rate)
                    torch._foreach_mul_(group.decayed, factor)
        self._update_groups(groups, grads, learning_rate)
        for group in groups:
            for variable, constraint in group.constrained:
                variable.copy_(constraint(variable))

    def _update_groups(self, groups, grads, learning_rate):
        for group in groups:
            self._update_group(group, group.gradients(grads), group.cast(learning_rate))

    def _update_group(self, group, grads, learning_rate):
        """The algorithm's update of one `VariableGroup`; built-ins override this with
        multi-tensor kernels. This default calls the Keras per-variable `update_step`."""
        for gradient, variable in zip(grads, group.variables):
            self.update_step(gradient, variable, learning_rate)

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """One step from the given values, with no side effects: `optimizer_variables` are
        values in the order of `self.variables`, `trainable_variables` values of the variables
        the optimizer was built with. Returns `(trainable_variables, optimizer_variables)`
        after the step; the optimizer's state and the model's variables are left as they
        were."""
        return stateless_apply.stateless_apply(self, optimizer_variables, grads,
                                               trainable_variables)

    def update_step(self, gradient, variable, learning_rate):
        """Update one variable in place (Keras's API for custom optimizers)."""
        raise NotImplementedError(
            f"Optimizer {type(self).__name__} must implement `update_step(gradient, variable, "
            "learning_rate)` (or `_update_group` for a multi-tensor update)."
        )

    def assign(self, variable, value):
        variable.copy_(value)

    def assign_add(self, variable, value):
        variable.add_(value)

    def assign_sub(self, variable, value):
        variable.sub_(value)

    def _local_step(self, group):
        """The 1-based number of the update being made, as a float tensor for `group`."""
        return group.cast(self._update_count() + 1)

    def _base_learning_rate(self):
        if isinstance(self._learning_rate, torch.Tensor):  # (the common case, checked first)
            return self._learning_rate
        if isinstance(self._learning_rate, learning_rate_schedule.LearningRateSchedule):
            return self._learning_rate(self._iterations)
        value = self._learning_rate()
        if isinstance(value, torch.Tensor):
            return value
        return torch.tensor(float(value), device=self._iterations.device)

    def _learning_rate_for_update(self):
        learning_rate = self._base_learning_rate()
        if self.decay:
            # Keras 2 time-based decay, from the step counter before this update.
            return learning_rate / (1.0 + self.decay * self._iterations.to(learning_rate.dtype))
        return learning_rate

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return gradient_clipping.clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm and self.global_clipnorm > 0:
            return gradient_clipping.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return gradient_clipping.clip_by_value(grads, self.clipvalue)
        return grads

    def _accumulate_or_update(self, indices, grads):
        steps = self.gradient_accumulation_steps
        accumulators = [self._accumulated_gradients[i] for i in indices]
        if (self._host_iterations() + 1) % steps:
            torch._foreach_add_(accumulators, grads)
            return
        grads = torch._foreach_add(grads, accumulators)
        torch._foreach_div_(grads, steps)
        self._update(indices, grads)
        torch._foreach_zero_(self._accumulated_gradients)

    def _update_moving_average(self):
        averages = self._model_variables_moving_average
        # The first step copies the weights (momentum 0); later steps average.
        momentum = (self._update_count() != 0).to(torch.float32) * self.ema_momentum
        self._overwritten_indices()  # (refreshes `_updated`: overwritten variables have no average)
        for group in self._groups_for(self._updated):
            group_averages = group.take(averages)
            group_momentum = group.cast(momentum)
            torch._foreach_mul_(group_averages, group_momentum)
            torch._foreach_add_(
                group_averages, torch._foreach_mul(group.variables, 1.0 - group_momentum)
            )
        frequency = self.ema_overwrite_frequency
        if frequency:
            iterations = self._host_iterations()
            if self.gradient_accumulation_steps:
                iterations //= self.gradient_accumulation_steps
            if (iterations + 1) % frequency == 0:
                torch._foreach_copy_([self._trainable_variables[i] for i in self._updated],
                                     [averages[i] for i in self._updated])

    def _advance_iterations(self):
        if torch.compiler.is_compiling():  # (a compiled step: `_version` is not traceable; the
            self._iterations.add_(1)       # mirror resyncs from the device when next read)
            return
        mirror_in_sync = self._iterations._version == self._host_step_version
        self._iterations.add_(1)
        if mirror_in_sync:
            self._host_step += 1
            self._host_step_version = self._iterations._version

    def _host_iterations(self):
        """`iterations` (before accumulation) as a Python int, without a device sync unless the
        counter was changed outside `apply` (e.g. loaded from a checkpoint)."""
        if self._iterations._version != self._host_step_version:
            self._host_step = int(self._iterations)
            self._host_step_version = self._iterations._version
        return self._host_step

    # ----------------------------------------------------------------------------- bookkeeping

    def _indices_of(self, grads, trainable_variables):
        """Positions, in the built variable list, of the variables the gradients belong to."""
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"Optimizer '{self.name}' was given gradients without variables before it "
                    "was built. Pass the variables too (`apply(grads, variables)`) or call "
                    "`optimizer.build(variables)` first."
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"Optimizer '{self.name}' received {len(grads)} gradients but was built with "
                    f"{len(self._trainable_variables)} variables; pass one gradient per variable "
                    "(None for none)."
                )
            return range(len(grads))
        trainable_variables = list(trainable_variables)
        if len(trainable_variables) != len(grads):
            raise ValueError(
                f"Optimizer '{self.name}' received {len(grads)} gradients for "
                f"{len(trainable_variables)} variables; they must pair up one to one."
            )
        if not self.built:
            self.build(trainable_variables)
        ids = tuple(map(id, trainable_variables))
        if ids == self._variable_ids:
            return range(len(grads))
        try:
            return [self._variable_indices[i] for i in ids]
        except KeyError:
            raise ValueError(
                f"Optimizer '{self.name}' was given a variable it was not built with. An "
                "optimizer only updates the variables of its first `build`/`apply`; create a new "
                "optimizer for a different set of variables."
            ) from None

    def _present_gradients(self, indices, grads):
        """Drop None gradients; cast the others to their variable's dtype."""
        variables = self._trainable_variables
        if isinstance(indices, range) and _all_present(grads, variables):
            return tuple(indices), grads  # every step of a plain model: nothing to drop or cast
        present_indices, present_grads = [], []
        for index, grad in zip(indices, grads):
            if grad is None:
                continue
            dtype = variables[index].dtype
            present_indices.append(index)
            present_grads.append(grad if grad.dtype == dtype else grad.to(dtype))
        if not present_grads:
            raise ValueError(
                f"Optimizer '{self.name}' received no gradient for any variable (all were None). "
                "Check that the loss depends on the trainable weights."
            )
        if len(present_grads) < len(grads) and not self._warned_missing_gradients:
            self._warned_missing_gradients = True
            missing = [
                slot_values.variable_path(variables[i]) or f"variable {i}"
                for i, g in zip(indices, grads)
                if g is None
            ]
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss; "
                "they are left unchanged. If using `model.compile()`, did you forget a `loss`?",
                stacklevel=3,
            )
        return tuple(present_indices), present_grads

    def prepare_groups(self, indices):
        """Group the variables at `indices` (by device and dtype) ahead of the first step."""
        self._groups_checked(tuple(indices))

    def _groups_for(self, indices):
        groups = self._groups.get(indices) if type(indices) is tuple else None
        if groups is not None and len(groups) == 1 and not groups[0].moved():
            return groups  # (every step of a model on one device in one dtype)
        return self._groups_checked(indices)

    def _groups_checked(self, indices):
        indices = tuple(indices)
        groups = self._groups.get(indices)
        if groups is not None and not any(group.moved() for group in groups):
            return groups
        if groups is not None:
            self._follow_moved_variables()
        groups = variable_group.make_groups(indices, self._trainable_variables)
        for group in groups:
            group.decayed = [v for v in group.variables if self._use_weight_decay(v)]
            group.constrained = [
                (v, v.constraint)
                for v in group.variables
                if getattr(v, "constraint", None) is not None
            ]
        self._groups[indices] = groups
        return groups

    def _follow_moved_variables(self):
        """The model was moved (`model.to(...)`) after the optimizer was built: move the state."""
        variables = self._trainable_variables
        for _, tensor, index in self._slots:
            target = variables[index] if index is not None else variables[0]
            if index is None:
                tensor.data = tensor.data.to(target.device)
            else:
                tensor.data = tensor.data.to(device=target.device, dtype=target.dtype)
        self._move_counters_to(variables[0].device)
        self._groups = {}

    def _move_counters_to(self, device):
        # `.data =` keeps the tensor objects, so references handed out earlier stay valid.
        mirror_in_sync = self._iterations._version == self._host_step_version
        self._iterations.data = self._iterations.data.to(device)
        if mirror_in_sync:
            self._host_step_version = self._iterations._version
        if isinstance(self._learning_rate, torch.Tensor):
            self._learning_rate.data = self._learning_rate.data.to(device)

    # ----------------------------------------------------------------------------- helpers

    def scale_loss(self, loss):
        """Multiply the loss by `loss_scale_factor` (if set) before computing gradients."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    @torch.no_grad()
    def finalize_variable_values(self, var_list):
        """With `use_ema`, copy the moving averages into the variables (end of training)."""
        if self.use_ema and self.built:
            torch._foreach_copy_(list(var_list), self._model_variables_moving_average)

    @torch.no_grad()
    def set_weights(self, weights):
        """Overwrite `variables` with the arrays in `weights` (same order and shapes)."""
        if not self.built:
            raise ValueError(
                f"Optimizer '{self.name}' is not built yet, so it has no state to set. Call "
                "`optimizer.build(model.trainable_variables)` first."
            )
        for name, variable, weight in zip(self.variable_names, self.variables, weights):
            value = torch.as_tensor(np.asarray(weight))
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"Optimizer variable '{name}' has shape {tuple(variable.shape)}; the given "
                    f"weight has shape {tuple(value.shape)}."
                )
            lamina_variables.assign_full(variable, value)  # (sharded state: its own part)

    def save_own_variables(self, store):
        """Write `variables` into `store` as "0", "1", ... (the layout of Keras weight files)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = lamina_variables.to_numpy(variable)

    def load_own_variables(self, store):
        """Read `variables` back from a store written by `save_own_variables` (or by Keras)."""
        if len(store.keys()) != len(self.variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self.variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables."
                + (" It has not been built yet." if not self.built else ""),
                stacklevel=2,
            )
            return
        self.set_weights([store[str(i)] for i in range(len(store.keys()))])

    # ----------------------------------------------------------------------------- config

    def get_config(self):
        if isinstance(self._learning_rate, learning_rate_schedule.LearningRateSchedule):
            learning_rate = learning_rate_schedule.serialize(self._learning_rate)
        elif isinstance(self._learning_rate, torch.Tensor):
            learning_rate = float(self._learning_rate)
        else:
            learning_rate = serialization.serialize_keras_object(self._learning_rate)
        config = {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        if self.decay:
            # Only for the Keras 2 argument; Keras 3 reads it back with a warning and ignores it.
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = learning_rate_schedule.deserialize(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)


def _all_present(grads, variables):
    """Every gradient is there, in its variable's dtype (the variables in their built order)."""
    for grad, variable in zip(grads, variables):
        if grad is None or grad.dtype != variable.dtype:
            return False
    return True


class _AliasCache(dict):
    """id(state tensor) -> (tensor, its Variable view), for `Optimizer.variables`. Not copied:
    a deep copy or a pickle of the optimizer makes its own views of its own tensors."""

    def __deepcopy__(self, memo):
        return _AliasCache()

    def __reduce__(self):
        return (_AliasCache, ())
