"""compile / fit / evaluate / predict: the Keras training loop on PyTorch.

`fit` only loops and calls callbacks; the work of one batch is `train_step(data)`, which users
may override (as in Keras): forward -> loss -> backward -> optimizer -> metrics. Metric values
stay on the device; nothing in a step waits for the GPU except what a callback asks to read.
"""

import collections.abc
import contextlib
import inspect
import itertools
import warnings

import numpy as np
import torch

from lamina import config as lamina_config
from lamina import devices
from lamina.layers import layer as layer_module
from lamina.distribution import seam as distribution_seam
from lamina.stateless import get_stateless_scope
from lamina.trainers import (argument_checks, compile_utils, data_adapters, legacy_generators,
                             loss_watch, step_compiler)
from lamina.trainers.array_data_adapter import check_finite, to_tensor_structure
from lamina.trainers.training_state import TrainingState
from lamina.utils import tree
from lamina.utils.strings import is_string_data
from lamina.utils.arguments import (check_kwargs, rename_legacy_kwargs, user_stacklevel,
                                    warn_deprecated)

_FIT_KWARGS = {"x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split",
               "validation_data", "shuffle", "class_weight", "sample_weight", "initial_epoch",
               "steps_per_epoch", "validation_steps", "validation_batch_size", "validation_freq"}
_EVALUATE_KWARGS = {"x", "y", "batch_size", "verbose", "sample_weight", "steps", "callbacks",
                    "return_dict"}
_PREDICT_KWARGS = {"x", "batch_size", "verbose", "steps", "callbacks"}
_COMPILE_KWARGS = {"optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
                   "run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"}


def default_device():
    """Where compile/fit place a model: lamina's default device (lamina/devices.py), which is
    this process's own device in a multi-process job, else the GPU when there is one."""
    return devices.default_device()


class Trainer:
    training_state = None  # fit's TrainingState (the last one after fit): epoch, step, RNG states
    # Keras's step functions: None until `make_train_function()` (or the user) sets one.
    train_function = None
    test_function = None
    predict_function = None

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._device = None
        self._in_fit = False
        # compile's defaults, readable before compile as in Keras
        self.run_eagerly = False
        self.jit_compile = False
        self.steps_per_execution = 1

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True, **kwargs):
        from lamina import metrics as metrics_module
        from lamina import optimizers

        check_kwargs(kwargs, {"sample_weight_mode", "target_tensors"}, "Model.compile()",
                     listed=_COMPILE_KWARGS)
        argument_checks.check_compile_arguments(loss_weights, run_eagerly, auto_scale_loss)
        for legacy in kwargs:  # Keras 2 arguments with no effect in Keras 3 (or here)
            warnings.warn(f"Model.compile(): `{legacy}` is a Keras 2 argument with no effect; "
                          "remove it.", DeprecationWarning, stacklevel=user_stacklevel())
        self._move_to_default_device()
        self.optimizer = optimizers.get(optimizer)
        if auto_scale_loss and self.optimizer is not None and _dtype_policy_name(
                self) == "mixed_float16" and not _is_loss_scale_optimizer(self.optimizer):
            # As Keras: the model's own float16 policy wraps the optimizer (its saved state then
            # has Keras's layout: the loss scale's variables, then the inner optimizer's).
            from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer

            self.optimizer = LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
            self._auto_wrapped_optimizer = True  # (its compile config is the inner optimizer)
        else:
            self._auto_wrapped_optimizer = False
        self.loss = loss
        self._compile_config = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                                "metrics": metrics, "weighted_metrics": weighted_metrics}
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._output_loss_trackers = []
        self._trainable_params = None
        self.run_eagerly = run_eagerly
        self.jit_compile = step_compiler.resolve(jit_compile, run_eagerly)
        if isinstance(steps_per_execution, bool) or not isinstance(
                steps_per_execution, (int, np.integer)) or steps_per_execution < 1:
            raise ValueError(
                "compile(steps_per_execution=...) expects a positive integer (the number of "
                "batches between two calls of the batch callbacks); received "
                f"{steps_per_execution!r}.")
        self.steps_per_execution = int(steps_per_execution)
        self._auto_scale_loss = auto_scale_loss
        self._loss_scale = None
        self.train_function = self.test_function = self.predict_function = None
        self.compiled = True
        self.stop_training = False

    def get_compile_config(self):
        """What compile() was given, serialized as Keras 3 writes it into config.json."""
        if not self.compiled:
            return None
        from lamina.registry.serialization import serialize_keras_object

        config = self._compile_config
        optimizer = self.optimizer
        if getattr(self, "_auto_wrapped_optimizer", False) and _is_loss_scale_optimizer(optimizer):
            optimizer = optimizer.inner_optimizer  # compile() wraps it again when loading
        if type(optimizer).__name__ == "TorchOptimizer":
            optimizer = None  # a torch.optim instance cannot be rebuilt from a file
        return {
            "optimizer": serialize_keras_object(optimizer),
            "loss": serialize_keras_object(config["loss"]),
            "loss_weights": serialize_keras_object(config["loss_weights"]),
            "metrics": serialize_keras_object(config["metrics"]),
            "weighted_metrics": serialize_keras_object(config["weighted_metrics"]),
            "run_eagerly": bool(self.run_eagerly),
            "steps_per_execution": self.steps_per_execution,
            "jit_compile": bool(self.jit_compile),
        }

    def compile_from_config(self, config, custom_objects=None):
        from lamina import losses
        from lamina import metrics as metrics_module
        from lamina import optimizers
        from lamina.registry.object_registry import CustomObjectScope

        with CustomObjectScope(custom_objects or {}):
            optimizer = config.get("optimizer")
            self.compile(
                optimizer=optimizers.deserialize(optimizer) if optimizer else "rmsprop",
                loss=_deserialize_spec(config.get("loss"), losses),
                loss_weights=config.get("loss_weights"),
                metrics=_deserialize_spec(config.get("metrics"), metrics_module),
                weighted_metrics=_deserialize_spec(config.get("weighted_metrics"), metrics_module),
                run_eagerly=config.get("run_eagerly", False),
                steps_per_execution=config.get("steps_per_execution", 1),
                # Not the file's `jit_compile`: Keras on JAX writes `true` for the default
                # "auto" (XLA), and torch.compile's minutes of compilation are the caller's
                # choice to make, not the file's (compile(jit_compile=True) after loading).
            )

    def _move_to_default_device(self):
        if self.__dict__.get("_placed_by_program"):
            return  # the program moved the model itself (model.to(...)): it stays there
        device = default_device()
        if self._device != device:
            _PLACING[0] += 1
            try:
                self.to(device)
            finally:
                _PLACING[0] -= 1
            self._set_device(device)

    def _set_device(self, device):
        for module in self.modules():  # nested models are placed with it
            if isinstance(module, Trainer):
                module._device = device

    def _apply(self, fn, *args, **kwargs):
        """torch's `.to()`, `.cuda()`, `.cpu()` (and dtype casts) go through here. When they
        move the weights, the model's device becomes where they now are (its inputs and data
        follow), and a move the program made itself is kept: fit and compile no longer put
        the model back on the default device."""
        before = _weights_device(self)
        result = super()._apply(fn, *args, **kwargs)
        after = _weights_device(self)
        if after is not None and after != before:
            self._set_device(after)
            if not _PLACING[0]:
                self.__dict__["_placed_by_program"] = True
        return result

    def _ensure_compiled(self, what):
        if not self.compiled:
            raise NotCompiledError(
                f"You must call compile() before {what}. For example: "
                "model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])."
            )

    def _output_names(self):
        names = getattr(self, "output_names", None)
        return list(names) if names else ["output"]

    def _build_containers(self, y, y_pred):
        from lamina import metrics as metrics_module

        names = self._output_names()
        y_pred_flat = compile_utils.flatten_outputs(y_pred, names)
        if len(y_pred_flat) != len(names):
            names = [f"output_{i}" for i in range(len(y_pred_flat))]
        self._flat_output_names = names
        config = self._compile_config
        self._compile_loss = compile_utils.CompileLoss(config["loss"], config["loss_weights"], names)
        self._compile_metrics = compile_utils.CompileMetrics(
            config["metrics"], config["weighted_metrics"], names
        )
        if len(names) > 1:
            self._output_loss_trackers = [metrics_module.Mean(name=f"{n}_loss") for n in names]

    def _prepare_optimizer(self):
        if self._trainable_params is None:
            self._trainable_params = list(self.trainable_weights)
            self._regularized = [(p, p.regularizer) for p in self.weights
                                 if getattr(p, "regularizer", None) is not None]
            # A plain attribute: as a layer list, __setattr__ would make it a ModuleList of
            # child modules, and the list can hold the model itself (a cycle).
            self.__dict__["_loss_layers"] = [
                m for m in self._flatten_layers()
                if m.activity_regularizer is not None or _may_add_loss(m)]
            # The caches a step reads (the optimizer's variable groups, the compute_loss
            # signature check) are filled now rather than in the first step: a compiled step
            # that fills a cache is traced again on its next call (Dynamo guards on what it read).
            if self._trainable_params:
                self.optimizer.build(self._trainable_params)
                self.optimizer.prepare_groups(range(len(self._trainable_params)))
            _accepts_training(type(self).compute_loss)
            if self._auto_scale_loss and not _is_loss_scale_optimizer(self.optimizer) and any(
                getattr(getattr(layer, "dtype_policy", None), "name", None) == "mixed_float16"
                for layer in self._flatten_layers()
            ):
                from lamina.mixed_precision.loss_scale import DynamicLossScale

                self._loss_scale = DynamicLossScale()

    # ------------------------------------------------------------------ one batch
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if not self.compiled:  # only the losses the layers added (as Keras)
            total, per_output = None, ()
        else:
            if self._compile_loss is None:  # a model fit() could not probe (it has no call())
                self._build_containers(y, y_pred)
            names = self._flat_output_names
            y_flat = compile_utils.flatten_outputs(y, names)
            pred_flat = compile_utils.flatten_outputs(y_pred, names)
            total, per_output = self._compile_loss(y_flat, pred_flat, sample_weight)
        # Kept for the per-output loss trackers only (a model with several outputs): detached,
        # so the model holds no autograd graph between steps (copy.deepcopy works after fit).
        self.__dict__["_last_output_losses"] = tuple(
            None if value is None else value.detach() for value in per_output
        ) if getattr(self, "_output_loss_trackers", None) else ()
        extra = self._collect_losses()
        if extra is not None:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError(
                "No loss to compute: the model was compiled without a loss and added none with "
                "add_loss(). Pass `loss=...` to compile(), call self.add_loss(...) in a layer, "
                "or override compute_loss() or train_step() to compute your own."
            )
        return total

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        """Call compute_loss, which a user may override without a `training` argument (Keras
        passes it only to overrides that take it)."""
        self.__dict__["_last_output_losses"] = ()  # set again by the base compute_loss
        if _accepts_training(type(self).compute_loss):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _collect_losses(self):
        extra = None
        regularized = self.__dict__.get("_regularized")
        if regularized is None:  # (compute_loss before fit: what _prepare_optimizer lists)
            regularized = [(p, p.regularizer) for p in self.weights
                           if getattr(p, "regularizer", None) is not None]
        for param, regularizer in regularized:
            penalty = regularizer(param)
            extra = penalty if extra is None else extra + penalty
        since = self.__dict__.get("_outer_call_id", 0)  # losses of this step's forward pass
        scope = get_stateless_scope()
        if scope is not None or "_loss_layers" not in self.__dict__:
            # In a StatelessScope, the losses it collected (as Keras); before fit, all layers'.
            for value in self._current_losses():
                extra = value if extra is None else extra + value
            return extra
        for layer in self._loss_layers:
            if layer._losses and layer.__dict__.get("_losses_call_id", 0) >= since:
                for value in layer._losses:
                    extra = value if extra is None else extra + value
        return extra

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if self._compile_metrics is None:
            self._build_containers(y, y_pred)
        names = self._flat_output_names
        self._compile_metrics.update_state(
            compile_utils.flatten_outputs(y, names), compile_utils.flatten_outputs(y_pred, names),
            sample_weight,
        )
        return LazyLogs(self.get_metrics_result)

    def get_metrics_result(self):
        """`{name: result}` of `self.metrics` (which a custom model may override, as in Keras)."""
        return {metric.name: metric.result() for metric in self.metrics}

    def _epoch_logs(self, step_logs, seam=None):
        """What an epoch reports: the metrics' results, unless train_step/test_step returned
        other values (a custom step may log anything), as Keras decides. In a data-parallel
        job (`seam`) the metrics are first summed over the processes (custom values averaged)."""
        if seam is not None:
            seam.reduce_metrics(self)
        results = self.get_metrics_result()
        if step_logs is not None and not set(step_logs).issubset(results):
            if seam is not None:
                return _pythonify(seam.average_logs(_pythonify(step_logs)))
            return _pythonify(step_logs)
        return _pythonify(results)

    def _update_loss_trackers(self, loss, batch_size):
        _add_to_mean(self._loss_tracker, loss, batch_size)
        loss_watch.record(self, loss)
        for tracker, value in zip(self._output_loss_trackers, self._last_output_losses):
            if value is not None:
                _add_to_mean(tracker, value, batch_size)

    def train_step(self, data):
        x, y, sample_weight = _unpack(data)
        y_pred = self(x, training=True)
        if self._trainable_params is None:  # called directly (a custom loop, train_function)
            self._prepare_optimizer()
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
        self._update_loss_trackers(loss, _batch_size(x))
        params = self._trainable_params
        if params:
            scale = self._loss_scale
            # As Keras's trainer: the optimizer scales the loss (LossScaleOptimizer, or
            # `loss_scale_factor`) and divides the gradients back in apply().
            scale_loss = getattr(self.optimizer, "scale_loss", None)
            if scale_loss is not None:
                loss = scale_loss(loss)
            scaled = loss if scale is None else scale.scale_loss(loss)
            compiling = torch.compiler.is_compiling()
            if compiling:
                grads = _compiled_gradients(self, scaled, params)
            else:
                scaled.backward()
                grads = [p.grad for p in params]
            if scale is None or scale.unscale(grads):  # float16: skip a step that overflowed
                self.optimizer.apply(grads, params)
            if not compiling:
                for p in params:  # (the optimizer applies weight constraints after its update)
                    p.grad = None
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = _unpack(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        self._update_loss_trackers(loss, _batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = _unpack(data)
        return self(x, training=False)

    # ------------------------------------------------------------------ data
    def _prepare_arrays(self, x, y, sample_weight, class_weight, name="x"):
        from lamina import config

        x = to_tensor_structure(x, name, config.to_torch_dtype(None))
        y = to_tensor_structure(y, "y")
        sample_weight = to_tensor_structure(sample_weight, "sample_weight")
        check_finite(x, name)
        if y is not None:
            check_finite(y, "y")
        check_finite(sample_weight, "sample_weight")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError(
                    "You cannot pass both `class_weight` and `sample_weight`; fold the class "
                    "weights into the sample weights instead."
                )
            sample_weight = _class_weight_to_sample_weight(class_weight, y)
        return x, y, sample_weight

    def _ensure_built(self, x, y=None):
        """One probe of the model on the first rows of the data, only while something still
        needs it: it builds the model, the loss and metric containers (Keras resolves
        "accuracy" from shapes) and the optimizer, and records the output shapes that the
        labels are checked against."""
        metrics_unbuilt = y is not None and (self._compile_metrics is None
                                             or not self._compile_metrics.built)
        if self._compile_loss is not None and self._trainable_params is not None and (
                not metrics_unbuilt):
            return
        if not _defines_call(self):  # e.g. a GAN wrapper: its own train_step calls its parts
            self._prepare_optimizer()
            return
        rows = self._fixed_batch_size() or 2
        first_rows = lambda t: None if t is None else _to_device(t[:rows], self._device)  # noqa: E731
        try:
            with torch.no_grad():
                y_pred = self._symbolic_probe(x)
                if y_pred is None:  # text, or code that needs values: two real rows
                    y_pred = self(tree.map_structure(first_rows, x), training=False)
        except ValueError as error:  # a shape error: show the real data's shapes
            shapes = tree.map_structure(lambda t: None if t is None else tuple(t.shape), x)
            raise ValueError(f"{error} (The model was given data of shape {shapes}.)") from error
        if self._compile_loss is None:
            self._build_containers(None, y_pred)
        names = self._flat_output_names
        pred_flat = compile_utils.flatten_outputs(y_pred, names)
        self.__dict__["_probed_output_shapes"] = [
            None if p is None else (None,) + tuple(p.shape[1:]) for p in pred_flat]
        if y is not None:
            y_flat = compile_utils.flatten_outputs(tree.map_structure(first_rows, y), names)
            if self.loss is not None and not self._compile_loss.built:
                self._compile_loss.build(y_flat, pred_flat)
            if metrics_unbuilt:  # so `self.metrics` lists them for a custom train/test_step
                self._compile_metrics.build(y_flat, pred_flat)
        self._prepare_optimizer()

    def _symbolic_probe(self, x):
        """The model's outputs for a batch shaped like `x`, computed on the meta device (shapes
        only: no memory, no arithmetic, no state change, the batch's real size so a stateful
        RNN's fixed batch fits). None when the data or the model needs real values."""
        leaves = tree.flatten(x)
        if not all(isinstance(t, torch.Tensor) or t is None for t in leaves):
            return None
        fixed = self._fixed_batch_size()  # Input(batch_shape=(8, ...)): a batch of 8, as fit runs
        meta = tree.map_structure(
            lambda t: None if t is None else torch.empty(
                t.shape if fixed is None else (fixed,) + tuple(t.shape[1:]), dtype=t.dtype,
                device="meta"), x)
        try:
            with layer_module.symbolic_run():
                return self(meta, training=False)
        except ValueError:
            raise  # a shape error: it would happen on real data too
        except Exception:  # noqa: BLE001 - e.g. .item() or .numpy() in a custom call()
            return None

    def _fixed_batch_size(self):
        """The batch size the model's inputs fix (Keras 1/2's `Input(batch_shape=(8, ...))`,
        whose code may build tensors of that batch size), else None."""
        inputs = getattr(self, "inputs", None) or []
        sizes = {t.shape[0] for t in inputs if getattr(t, "shape", None)}
        return sizes.pop() if len(sizes) == 1 and None not in sizes else None

    def _check_targets(self, y):
        """Labels are checked once against the loss (against the probed output shapes)."""
        from lamina import losses as losses_module

        shapes = self.__dict__.get("_probed_output_shapes")
        if y is None or shapes is None or self.loss is None or not self._compile_loss.built:
            return  # (no compiled loss: a custom train_step computes its own)
        y_flat = compile_utils.flatten_outputs(y, self._flat_output_names)
        for loss, target, shape in zip(self._compile_loss.losses, y_flat, shapes):
            if loss is not None and target is not None and shape is not None:
                losses_module.check_targets(loss, target, shape)

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, **kwargs):
        rename_legacy_kwargs(kwargs, {"nb_epoch": "epochs"}, "Model.fit()")
        epochs = _capped_epochs(kwargs.pop("epochs", epochs))
        # Keras 2 gave fit() the data-loading options that Keras 3 moved onto PyDataset.
        loading = {k: kwargs.pop(k) for k in ("workers", "use_multiprocessing", "max_queue_size")
                   if k in kwargs}
        for key in loading:
            warn_deprecated(f"fit({key}=...)", f"PyDataset(..., {key}=...)", "Model.fit()")
        check_kwargs(kwargs, _FIT_KWARGS, "Model.fit()")
        argument_checks.check_fit_arguments(batch_size, epochs, verbose, shuffle, initial_epoch,
                                            steps_per_epoch, validation_steps,
                                            validation_batch_size, validation_freq,
                                            validation_split, class_weight)
        self._ensure_compiled("fit()")
        argument_checks.check_targets_given(x, y, self.loss, "Model.fit()")
        seam = distribution_seam.seam_for(self)  # None unless this is a multi-process job
        self._move_to_default_device()
        data_adapters.check_validation_split(x, validation_split)
        if validation_data is None and validation_split:
            (x, y, sample_weight), validation_data = data_adapters.train_validation_split(
                x, y, sample_weight, validation_split
            )
        train = data_adapters.get_data_adapter(
            x, y, sample_weight, batch_size=batch_size, steps=_capped_steps(steps_per_epoch),
            shuffle=shuffle,
            class_weight=class_weight, device=self._device, **loading,
        )
        val = None
        if validation_data is not None:
            val_x, val_y, val_sample_weight = _unpack_validation(validation_data)
            val = data_adapters.get_data_adapter(
                val_x, val_y, val_sample_weight, batch_size=validation_batch_size or batch_size,
                steps=_capped_steps(validation_steps), device=self._device,
            )
        if seam is not None:  # each process reads its own part of every batch
            seam.shard(train)
            if val is not None:
                seam.shard(val)
        peek_x, peek_y, _ = train.peek()
        self._ensure_built(peek_x, peek_y)
        # Labels are checked once against the loss: all of them when they are in memory (a sorted
        # dataset's first batch may hold only one class), else the first batch.
        self._check_targets(train.y if train.is_array_data else peek_y)
        if seam is not None:
            seam.prepare_training(self)  # DistributedDataParallel

        from lamina.callbacks.callback_list import CallbackList

        callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=epochs, steps=train.num_batches)
        self.stop_training = False
        self._in_fit = True
        logs = {}
        modes = _set_mode(self, True)  # torch modules inside (Dropout, BatchNorm1d) train too
        state = self.__dict__["training_state"] = TrainingState(self, train)
        train_function = self._step_caller("train")
        # Batch callbacks (and stop_training) once per `steps_per_execution` steps, as Keras.
        per_execution = self.steps_per_execution
        watch = loss_watch.LossWatch(callbacks.callbacks)
        settings = contextlib.ExitStack()
        try:
            settings.enter_context(step_compiler.held_settings(self))
            callbacks.on_train_begin()
            first_epoch, first_step = state.resume_point(initial_epoch)
            for epoch in range(first_epoch, epochs):
                offset = first_step if epoch == first_epoch else 0
                state.epoch, state.step = epoch, offset
                if not offset:  # a resumed epoch keeps its restored running metrics
                    self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                watch.start_epoch(self, offset)
                steps_run = 0
                open_execution = False
                for step, batch in enumerate(train.batches(), start=offset):
                    if not open_execution:
                        callbacks.on_train_batch_begin(step)
                    if seam is None:
                        batch_logs = train_function(data_adapters.pack_x_y_sample_weight(*batch))
                    else:
                        batch_logs = seam.train_step(self, batch, train.step_info)
                    state.step = step + 1
                    steps_run += 1
                    open_execution = bool(steps_run % per_execution) and (
                        step + 1 != train.num_batches)
                    if open_execution:
                        continue  # inside one execution of `steps_per_execution` steps
                    callbacks.on_train_batch_end(step, batch_logs)
                    if self.stop_training if seam is None else seam.agree_to_stop(self):
                        break
                if open_execution:  # a generator's last, shorter execution
                    callbacks.on_train_batch_end(step, batch_logs)
                train.on_epoch_end()
                if steps_run == 0 and not offset:  # a used-up generator: the adapter warned
                    break
                if seam is not None:
                    seam.sync_states(self)  # process 0's moving statistics everywhere
                logs = self._epoch_logs(batch_logs if steps_run else None, seam)
                watch.end_epoch(self, epoch, logs)
                if val is not None and _should_validate(epoch, validation_freq):
                    # Validation goes through the same callbacks (their on_test_* hooks), as Keras.
                    val_logs = self.evaluate(val, verbose=0, return_dict=True, _internal=True,
                                             callbacks=callbacks)
                    if not val.ran_out_of_data:
                        logs.update({f"val_{k}": v for k, v in val_logs.items()})
                callbacks.on_epoch_end(epoch, logs)
                if seam is not None:
                    seam.agree_to_stop(self)
                if self.stop_training or train.ran_out_of_data:
                    break
        finally:
            settings.close()
            _restore_modes(modes)
            self._in_fit = False
            self.__dict__.pop("_step_losses", None)  # (the loss watch's references)
            state._end()
            train.close()
            if val is not None:
                val.close()
        if self._trainable_params:
            self.optimizer.finalize_variable_values(self._trainable_params)  # EMA, if enabled
        callbacks.on_train_end(logs)
        return self.history

    def fit_generator(self, generator, *args, **kwargs):
        warn_deprecated("fit_generator()", "fit()", "Model")
        return self.fit(generator, **legacy_generators.fit_arguments(generator, args, kwargs))

    # ------------------------------------------------------------------ evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        internal = kwargs.pop("_internal", False)
        check_kwargs(kwargs, _EVALUATE_KWARGS, "Model.evaluate()")
        if not internal:
            argument_checks.check_evaluate_arguments(batch_size, verbose, steps, return_dict)
        self._ensure_compiled("evaluate()")
        seam = distribution_seam.seam_for(self)
        if not internal:
            argument_checks.check_targets_given(x, y, self.loss, "Model.evaluate()")
            self._move_to_default_device()
        data = data_adapters.get_data_adapter(x, y, sample_weight, batch_size=batch_size,
                                              steps=_capped_steps(steps), device=self._device)
        data.one_pass_per_epoch = True
        if seam is not None:
            seam.shard(data)  # (fit's validation adapter is sharded already)
        data.reset()  # fit's validation adapter, reused each epoch, starts from its beginning
        peek_x, peek_y, _ = data.peek()
        self._ensure_built(peek_x, peek_y)
        if not internal:  # labels checked once against the loss, as fit does
            self._check_targets(data.y if data.is_array_data else peek_y)
        from lamina.callbacks.callback_list import CallbackList

        if not isinstance(callbacks, CallbackList):  # (fit's validation hands in its own)
            callbacks = CallbackList(callbacks, add_progbar=verbose != 0 and not internal,
                                     model=self, verbose=verbose, epochs=1, steps=data.num_batches)
        self.reset_metrics()
        callbacks.on_test_begin()
        batch_logs = None
        test_function = self._step_caller("test")
        modes = _set_mode(self, False)
        try:
            with torch.no_grad(), step_compiler.held_settings(self):
                per_execution = self.steps_per_execution  # (batch callbacks: as in fit)
                open_execution = False
                for step, batch in enumerate(data.batches()):
                    if not open_execution:
                        callbacks.on_test_batch_begin(step)
                    if data.step_info is not None and data.step_info.padding:
                        batch_logs = seam.padding_step(self.test_step, self, batch)
                    else:
                        batch_logs = test_function(data_adapters.pack_x_y_sample_weight(*batch))
                    open_execution = bool((step + 1) % per_execution) and (
                        step + 1 != data.num_batches)
                    if not open_execution:
                        callbacks.on_test_batch_end(step, batch_logs)
                if open_execution:  # a generator's last, shorter execution
                    callbacks.on_test_batch_end(step, batch_logs)
            data.on_epoch_end()
        finally:
            _restore_modes(modes)
            if data is not x:  # an adapter handed in (fit's validation) is closed by its owner
                data.close()
        logs = self._epoch_logs(batch_logs, seam)
        callbacks.on_test_end(logs)
        return logs if return_dict else self._flatten_logs(logs)

    def _flatten_logs(self, logs):
        """evaluate()'s list, in Keras's order: the model's metrics in their order (loss first),
        then the other logs (per-output losses and metrics) in sorted order."""
        results = [logs[key] for key in self._evaluate_order(logs)]
        return results[0] if len(results) == 1 else results

    def _evaluate_order(self, names):
        """Keras's order of evaluate()'s values: `self.metrics`' order (the loss, per-output
        losses, compiled metrics, a subclass's own trackers), then every other name sorted.
        A multi-output model's compiled metrics count as "other": Keras names them after
        their outputs (`a_out_mae`) in the logs only, so its list sorts them."""
        names = set(names)
        skipped = set()
        if self._compile_metrics is not None and len(self._output_names()) > 1:
            skipped = {id(metric) for _, metric, _ in self._compile_metrics.metrics}
        ordered = list(dict.fromkeys(m.name for m in self.metrics
                                     if id(m) not in skipped and m.name in names))
        return ordered + sorted(names.difference(ordered))

    def evaluate_generator(self, generator, *args, **kwargs):
        warn_deprecated("evaluate_generator()", "evaluate()", "Model")
        return self.evaluate(generator, **legacy_generators.evaluate_arguments(
            generator, args, kwargs, "evaluate_generator"))

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        check_kwargs(kwargs, _PREDICT_KWARGS, "Model.predict()")
        argument_checks.check_predict_arguments(batch_size, verbose, steps)
        seam = distribution_seam.seam_for(self)
        if self._device is None:
            self._move_to_default_device()
        data = data_adapters.get_data_adapter(x, batch_size=batch_size,
                                              steps=_capped_steps(steps), device=self._device,
                                              check_values=False)
        data.one_pass_per_epoch = True
        if seam is not None:
            seam.shard(data)
        counts = []  # in a data-parallel job: this process's rows of each step
        from lamina.callbacks.callback_list import CallbackList

        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                 epochs=1, steps=data.num_batches)
        callbacks.on_predict_begin()
        outputs = []
        predict_function = self._step_caller("predict")
        modes = _set_mode(self, False)
        try:
            with torch.no_grad(), step_compiler.held_settings(self):
                for step, batch in enumerate(data.batches()):
                    callbacks.on_predict_batch_begin(step)
                    outputs.append(predict_function(data_adapters.pack_x_y_sample_weight(*batch)))
                    if data.step_info is not None:
                        outputs[-1] = seam.keep_rows(outputs[-1], data.step_info, counts)
                    callbacks.on_predict_batch_end(step, {"outputs": outputs[-1]})
            data.on_epoch_end()
        finally:
            _restore_modes(modes)
            data.close()
        callbacks.on_predict_end()
        if not outputs:
            raise ValueError("predict() received no data: the input has 0 samples.")
        if data.shard is not None:  # every process gets every row, in the original order
            gathered = seam.gather_predictions(outputs, counts)
            return tree.map_structure(_to_numpy, gathered)
        first = outputs[0]
        columns = [_to_numpy(torch.cat(parts)) for parts in zip(*map(tree.flatten, outputs))]
        return tree.pack_sequence_as(first, columns)

    def predict_generator(self, generator, *args, **kwargs):
        warn_deprecated("predict_generator()", "predict()", "Model")
        return self.predict(generator, **legacy_generators.evaluate_arguments(
            generator, args, kwargs, "predict_generator"))

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 1/2: class indices (argmax, or a 0.5 threshold for one sigmoid unit)."""
        warn_deprecated(
            "predict_classes()",
            "`np.argmax(model.predict(x), axis=-1)` (or `(model.predict(x) > 0.5).astype('int32')` "
            "for a sigmoid output)", "Model",
        )
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        warn_deprecated("predict_proba()", "predict()", "Model")
        return self.predict(x, batch_size=batch_size, verbose=verbose)

    # ------------------------------------------------------------------ single batches
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False,
                       **kwargs):
        argument_checks.check_batch_arguments("train_on_batch", kwargs, return_dict, class_weight)
        self._ensure_compiled("train_on_batch()")
        seam = distribution_seam.seam_for(self)
        self._move_to_default_device()
        x, y, sample_weight = self._prepare_arrays(x, y, sample_weight, class_weight)
        self._ensure_built(x, y)
        move = lambda t: None if t is None else t.to(self._device)  # noqa: E731
        self.reset_metrics()
        modes = _set_mode(self, True)
        try:
            if seam is None:
                train_function = self._step_caller("train")
                logs = train_function(tree.map_structure(move, (x, y, sample_weight)))
            else:  # every process trains on its own batch; the gradient is of them all
                seam.prepare_training(self)
                batch = tree.map_structure(move, (x, y, sample_weight))
                logs = seam.train_step(self, batch, None)
        finally:
            _restore_modes(modes)
        logs = _pythonify(logs) if seam is None else self._epoch_logs(logs, seam)
        return logs if return_dict else self._flatten_logs(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False, **kwargs):
        argument_checks.check_batch_arguments("test_on_batch", kwargs, return_dict)
        self._ensure_compiled("test_on_batch()")
        seam = distribution_seam.seam_for(self)
        x, y, sample_weight = self._prepare_arrays(x, y, sample_weight, None)
        self._ensure_built(x, y)
        move = lambda t: None if t is None else t.to(self._device)  # noqa: E731
        self.reset_metrics()
        modes = _set_mode(self, False)
        try:
            with torch.no_grad():
                test_function = self._step_caller("test")
                logs = test_function(tree.map_structure(move, (x, y, sample_weight)))
        finally:
            _restore_modes(modes)
        logs = _pythonify(logs) if seam is None else self._epoch_logs(logs, seam)
        return logs if return_dict else self._flatten_logs(logs)

    def predict_on_batch(self, x, **kwargs):
        from lamina import config

        argument_checks.check_batch_arguments("predict_on_batch", kwargs)
        if self._device is None:
            self._move_to_default_device()
        x = to_tensor_structure(x, "x", config.to_torch_dtype(None))
        x = tree.map_structure(lambda t: t.to(self._device), x)
        modes = _set_mode(self, False)
        try:
            with torch.no_grad():
                if type(self).predict_step is Trainer.predict_step and self.predict_function is None:
                    outputs = self(x, training=False)
                else:  # an overridden predict_step (or predict_function) decides, as in Keras
                    outputs = self._step_caller("predict")(
                        data_adapters.pack_x_y_sample_weight(x))
        finally:
            _restore_modes(modes)
        return tree.map_structure(_to_numpy, outputs)

    # ------------------------------------------------------------------ step functions
    def make_train_function(self, force=False):
        """Set and return `self.train_function`: a function of a list holding one batch that
        runs `train_step` on it (through torch.compile under `jit_compile`), as Keras's torch
        backend does. Kept until `compile()`; `force=True` makes a new one."""
        return self._make_step_function("train", force)

    def make_test_function(self, force=False):
        """As `make_train_function`, for `test_step` (`self.test_function`)."""
        return self._make_step_function("test", force)

    def make_predict_function(self, force=False):
        """As `make_train_function`, for `predict_step` (`self.predict_function`)."""
        return self._make_step_function("predict", force)

    def _make_step_function(self, kind, force):
        attribute = f"{kind}_function"
        if getattr(self, attribute) is not None and not force:
            return getattr(self, attribute)
        step = step_compiler.step_function(self, f"{kind}_step")

        def one_step_on_data(data):
            return step(data[0])

        setattr(self, attribute, one_step_on_data)
        return one_step_on_data

    def _step_caller(self, kind):
        """The per-batch step fit/evaluate/predict call. As in Keras, a subclass's own
        `make_<kind>_function` is called first, and a `<kind>_function` that is set (by it, by
        `make_<kind>_function()` or by assignment) is called with a list of one batch. Otherwise
        the step runs directly and nothing is stored on the model (it stays picklable)."""
        maker = f"make_{kind}_function"
        if getattr(type(self), maker) is not getattr(Trainer, maker):
            getattr(self, maker)()
        function = getattr(self, f"{kind}_function")
        if function is None:
            return step_compiler.step_function(self, f"{kind}_step")
        return lambda batch: function([batch])

    # ------------------------------------------------------------------ metrics
    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    @property
    def metrics(self):
        result = [self._loss_tracker] if self._loss_tracker is not None else []
        result += getattr(self, "_output_loss_trackers", [])
        if self._compile_metrics is not None:
            result += [metric for _, metric, _ in self._compile_metrics.metrics]
        # Then the metrics the model and its layers hold (an endpoint layer's accuracy), as
        # Keras lists them; a nested model's own compiled metrics are not the outer one's.
        if not layer_module.METRICS_HELD[0]:
            return result
        result += self._own_metrics()
        for layer in self._flatten_layers():
            if layer is not self and not isinstance(layer, Trainer):
                result += layer._own_metrics()
        return result

    @property
    def metrics_names(self):
        """Names in the order `evaluate()` returns its values (unlike Keras 3, see #20244)."""
        return self._evaluate_order([metric.name for metric in self.metrics])

    def _call_pipeline(self, *args, **kwargs):  # inside Layer.__call__'s error filter
        forward = self.__dict__.get("_ddp_forward")
        if forward is not None:  # a data-parallel training step: run through DDP
            self.__dict__["_ddp_forward"] = None  # (DDP calls the model back: run it then)
            try:
                return forward(*args, **kwargs)
            finally:
                self.__dict__["_ddp_forward"] = forward
        if args and type(args[0]) in (list, tuple) and len(args[0]) == 1:
            args = (_unwrap_single_input(self, args[0]),) + args[1:]
        device = self._device
        if device is None and args and isinstance(args[0], torch.Tensor) and (
                not _is_cpu(args[0].device)) and not args[0].is_meta and (
                not torch.compiler.is_compiling()):
            device = self._follow_input_device(args[0].device)
        if device is not None and args and not _is_cpu(device):
            # The model lives on the GPU: bring numpy or CPU inputs to it (Keras-on-torch does too).
            args = (tree.map_structure(lambda t: _to_device(t, device), args[0]),) + args[1:]
        return super()._call_pipeline(*args, **kwargs)

    def _follow_input_device(self, device):
        """A model not yet placed by compile/fit, called on a GPU tensor (one that
        `ops.ones`, `random.normal` or another model made there, as in Keras on torch): its CPU
        weights go to that device, as an unbuilt layer's go to its first input's. From then
        on it is placed there (numpy inputs move to it). Weights already elsewhere than the
        CPU were placed by the program itself and stay."""
        first = next(iter(self.parameters()), None)
        if first is None or _is_cpu(first.device):
            _PLACING[0] += 1
            try:
                self.to(device)
            finally:
                _PLACING[0] -= 1
            self._device = device
        elif first.device == device:
            self._device = device
        return self._device


_PLACING = [0]  # inside lamina's own placement of a model (not the program's)


def _unwrap_single_input(model, inputs):
    """`model([x])` for a model with one (non-list) input is `model(x)`, as in Keras, which
    flattens the structure and warns; a Python list holding a sample's values stays a list."""
    element = inputs[0]
    if isinstance(element, (list, tuple, dict)) or not hasattr(element, "shape"):
        return inputs
    struct = getattr(model, "_inputs_struct", None)
    single = (struct is not None and not isinstance(struct, (list, tuple, dict))) or (
        getattr(model, "_stack", None) is not None and model._input_tensor is not None)
    if not single:
        return inputs
    if not model.__dict__.get("_warned_single_input_list"):
        model.__dict__["_warned_single_input_list"] = True
        warnings.warn(
            f'Model "{model.name}" has one input but was given a list holding one array; it '
            "uses that array. Pass the array itself (`model(x)`, `model.predict(x)`).",
            UserWarning, stacklevel=user_stacklevel())
    return element


def _weights_device(module):
    tensor = next(itertools.chain(module.parameters(), module.buffers()), None)
    return None if tensor is None else tensor.device


def _deserialize_spec(spec, module):
    """A compile() loss/metric spec read from a file: names stay names, config dicts become
    objects, lists and dicts (per output) keep their shape."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, dict) and "class_name" in spec:
        return module.deserialize(spec)
    if isinstance(spec, dict):
        return {k: _deserialize_spec(v, module) for k, v in spec.items()}
    return [_deserialize_spec(item, module) for item in spec]


class LazyLogs(collections.abc.Mapping):
    """Batch logs whose values are computed only if someone reads them.

    Computing metric results every step costs a few small kernels per metric; most steps nobody
    looks (the progress bar redraws a few times a second, `verbose=0` never).
    """

    def __init__(self, compute):
        self._compute = compute
        self._values = None

    def _resolved(self):
        if self._values is None:
            self._values = self._compute()
        return self._values

    def __getitem__(self, key):
        return self._resolved()[key]

    def __iter__(self):
        return iter(self._resolved())

    def __len__(self):
        return len(self._resolved())

    def __repr__(self):
        return repr(dict(self._resolved()))


def _add_to_mean(tracker, value, weight):
    """Loss tracking, every step: the batch-size-weighted running mean Keras keeps, added in
    place (the generic Metric.update_state path costs several extra kernels per step). The
    detached value records no autograd graph, so no `no_grad` region is needed around it."""
    value = value.detach()
    if tracker._device != value.device:
        tracker.update_state(value, sample_weight=weight)  # first step: moves the state
        return
    tracker.total.add_(value * weight)
    tracker.count.add_(weight)


def _is_cpu(device, _known={}):  # noqa: B006 - a cache: `device.type` is slow to read
    """Whether `device` is the CPU (read at every model call: cached per device)."""
    if torch.compiler.is_compiling():  # (Dynamo would break the graph on the cache)
        return device.type == "cpu"
    answer = _known.get(device)
    if answer is None:
        answer = _known[device] = device.type == "cpu"
    return answer


def _to_device(value, device):
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=True)
    if isinstance(value, np.ndarray) and not is_string_data(value):
        return to_tensor_structure(value, "inputs").to(device, non_blocking=True)
    return value


def _compiled_gradients(model, loss, params):
    """The gradients of a compiled train step, traced into the step's one graph.

    `torch.autograd.grad` rather than `backward()`: Dynamo traces it (step_compiler turns on
    `trace_autograd_ops`), so forward, backward, optimizer and metric updates are one graph,
    whereas `backward()` leaves the gradients in `.grad` of lamina's Variables, which Dynamo
    cannot read (a tensor subclass) and breaks the graph on. The losses that layers recorded in
    this forward pass (add_loss, activity regularizers) are detached first: the graph would
    otherwise return tensors whose autograd history the gradient computation consumes."""
    for layer in model.__dict__.get("_loss_layers", ()):
        if layer._losses:
            layer._losses = [value.detach() for value in layer._losses]
    return list(torch.autograd.grad(loss, params, allow_unused=True))


def _set_mode(model, training):
    """`model.train()` / `model.eval()` for the length of fit / evaluate / predict: the
    module's own flag is the one source of training mode. Returns what to restore."""
    modes = [(module, module.training) for module in model.modules()]
    if any(mode != training for _, mode in modes):
        model.train(training)
    return modes


def _restore_modes(modes):
    for module, mode in modes:
        if module.training != mode:
            module.training = mode


def _defines_call(model):
    from lamina.layers.layer import Layer

    return type(model).call is not Layer.call


def _accepts_training(function):
    cached = _ACCEPTS_TRAINING.get(function)
    if cached is None:
        parameters = inspect.signature(function).parameters
        cached = "training" in parameters or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        _ACCEPTS_TRAINING[function] = cached
    return cached


_ACCEPTS_TRAINING = {}


def _may_add_loss(layer):
    """Layers whose class defines its own call may call add_loss(); built-ins don't."""
    return type(layer).__module__.split(".")[0] != "lamina"


def _unpack(data):
    if isinstance(data, tuple) and len(data) == 3:
        return data
    if isinstance(data, tuple) and len(data) == 2:
        return data[0], data[1], None
    if isinstance(data, tuple) and len(data) == 1:
        return data[0], None, None
    return data, None, None


def _unpack_validation(validation_data):
    if validation_data is None:
        return None
    if isinstance(validation_data, (str, bytes)):
        raise TypeError(
            "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight) "
            "of arrays, or a generator / PyDataset / DataLoader; read the file first. "
            f"Received: validation_data={validation_data!r}."
        )
    if isinstance(validation_data, tuple) and len(validation_data) in (2, 3):
        if len(validation_data) == 2:
            return validation_data[0], validation_data[1], None
        return validation_data
    if isinstance(validation_data, list) and len(validation_data) in (2, 3):
        return _unpack_validation(tuple(validation_data))
    if not data_adapters.is_array_data(validation_data):
        return validation_data, None, None  # a generator, PyDataset, Dataset or DataLoader
    raise ValueError(
        "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight); "
        f"received {type(validation_data).__name__}."
    )


def _batch_size(x):
    if isinstance(x, torch.Tensor):  # (every step: skip the structure walk for one tensor)
        return x.shape[0]
    return tree.flatten(x)[0].shape[0]


def _pythonify(logs):
    """Scalars (0-d) become Python floats; vector results (e.g. F1Score per class, even of one
    class) numpy arrays, as in Keras 3. Keys in sorted order and nested dicts (a metric whose
    result is a dict) flattened, as Keras's logs are: `['accuracy', 'loss', 'val_accuracy',
    'val_loss']` in a History."""
    result = {}
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            result.update(_pythonify(value))
        elif isinstance(value, torch.Tensor) and value.ndim != 0:
            result[key] = value.detach().cpu().numpy()
        elif isinstance(value, np.ndarray) and value.ndim != 0:
            result[key] = value
        else:
            result[key] = float(value)
    return result


def _should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def _class_weight_to_sample_weight(class_weight, y):
    if isinstance(y, (list, dict)):
        raise ValueError(
            "`class_weight` is only supported for models with a single output. Pass per-sample "
            "weights with `sample_weight` instead."
        )
    labels = y.cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    labels = np.round(labels.reshape(labels.shape[0], -1)[:, 0]).astype("int64")
    weights = np.array([float(class_weight.get(int(c), 1.0)) for c in labels], dtype="float32")
    return torch.from_numpy(weights)


def _dtype_policy_name(model):
    return getattr(getattr(model, "dtype_policy", None), "name", None)


def _is_loss_scale_optimizer(optimizer):
    """A LossScaleOptimizer scales the loss itself: fit adds no second dynamic scale."""
    from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer

    return isinstance(optimizer, LossScaleOptimizer)


def _to_numpy(tensor):
    """A predicted tensor as NumPy; bfloat16 (which NumPy lacks) comes back as float32."""
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.float()
    return tensor.detach().cpu().numpy()


def _capped_epochs(epochs):
    """`epochs`, lowered to `config.max_epochs()` when that debugging cap is set (as Keras)."""
    cap = lamina_config.max_epochs()
    if cap and isinstance(epochs, int) and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap} (lamina.config.set_max_epochs / "
                      "KERAS_MAX_EPOCHS).", stacklevel=3)
        return cap
    return epochs


def _capped_steps(steps):
    """`steps`, lowered to `config.max_steps_per_epoch()` when that debugging cap is set."""
    cap = lamina_config.max_steps_per_epoch()
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap} (lamina.config.set_max_steps_per_epoch "
                      "/ KERAS_MAX_STEPS_PER_EPOCH).", stacklevel=3)
        return cap
    return steps


class NotCompiledError(ValueError, RuntimeError):
    """fit/evaluate before compile(): a ValueError as in Keras (and a RuntimeError, which
    earlier lamina versions raised, so handlers written for either still catch it)."""
