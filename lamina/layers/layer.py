"""The Layer base class: a `torch.nn.Module` with Keras's contract.

A layer is constructed with plain arguments, creates its weights in `build(input_shape)` the
first time it sees an input (`add_weight`), and does its math in `call()`. `__call__` is the
short pipeline that joins them:

1. symbolic inputs (`Input(...)`) -> record a graph node, compute the output shape on `meta`;
2. build on first use, from the input's shape;
3. check the input against `input_spec` (only when the shape changes: this is the hot path);
4. resolve `training` (explicit argument > the enclosing call's value > `module.training`);
5. run `torch.nn.Module.__call__` (so torch hooks work) -> `forward` -> `call`; a layer
   without hooks (nor compilation or tracing) goes straight to `forward`, as torch would.

`training` defaults to inference, as in Keras: a lamina layer starts with `module.training`
False, so `model(x)` is deterministic. Plain torch code can still use `model.train()`.
"""

import contextlib
import functools
import inspect
import itertools
import sys
import threading

import numpy as np
import torch

from lamina import config
from lamina.devices import default_device
from lamina.layers import tracking
from lamina.layers.input_spec import check_input_shape
from lamina.registry.export import keras_export
from lamina.rematerialization import get_current_remat_mode
from lamina.stateless import get_stateless_scope
from lamina.symbolic import keras_tensor as kt
from lamina.symbolic.node import Node
from lamina.utils import naming, tf_tensors, tree
from lamina.utils.arguments import check_kwargs, warn_deprecated
from lamina.utils.strings import is_string_data
from lamina.utils.traceback_utils import filter_traceback
from lamina.variables import Variable, assign_full, to_numpy

_LAYER_KWARGS = {"activity_regularizer", "trainable", "dtype", "autocast", "name", "input_shape",
                 "input_dim", "batch_input_shape", "batch_size", "batch_shape", "weights"}


# Keras 3 config keys of features some layers lack; harmless (and dropped) when unset.
_KERAS_FEATURE_KEYS = {"quantization_config", "lora_rank", "lora_alpha"}


class CallContext:
    """What nested layer calls share, owned by the outermost call: the `training` value an
    explicit argument set, and the call's id (losses added during it carry that id).

    Kept per thread, so threads and serving replicas never see each other's calls. (Not a
    ContextVar: torch.compile cannot trace ContextVar.get and would break the graph at every
    layer; a forward pass never awaits, so per-thread state is per-call state.)"""

    __slots__ = ("training", "call_id")

    def __init__(self, training, call_id):
        self.training = training
        self.call_id = call_id


class _ThreadState(threading.local):
    """Per-thread call state, set in each thread's own dict from the start (threading.local
    runs __init__ once per thread), so reading it never goes through a failed lookup (this is
    read at every layer call). Not class-level defaults: torch.compile guards on whether the
    instance dict holds a name, and a name that appears during the traced call breaks it."""

    def __init__(self):
        self.context = None  # the CallContext of the outermost call in progress
        self.autocast_device = None  # the device type while lamina's autocast region is open
        self.scope = None  # layers whose build or call is in progress (see name_scope)
        self.inferring_shapes = False  # shape inference on zero-filled data (see _stand_in_runs)
        self.symbolic_run = False  # any shape inference run, on meta tensors or stand-in data


_THREAD_STATE = _ThreadState()
# How many times a layer took a metric as an attribute: while 0, no layer holds one and a
# model's `metrics` skips looking through its layers (read at every logged step).
METRICS_HELD = [0]
_CALL_IDS = itertools.count(1)
_COMPILED_CALL_ID = -1  # every outermost call inside torch.compile (see _start_compiled_call)


def current_call_context():
    """The CallContext of the layer call in progress on this thread, or None."""
    return _THREAD_STATE.context


def _scope_stack():
    stack = _THREAD_STATE.scope
    if stack is None:
        stack = _THREAD_STATE.scope = []
    return stack


class name_scope:  # noqa: N801 - used as a `with` statement, like Keras's backend.name_scope
    """Layers whose build or call is in progress on this thread: a weight created inside is
    named after them, as Keras names it (`transformer_block/dense/kernel`)."""

    def __init__(self, layer):
        self.layer = layer
        self._pushed = False

    def __enter__(self):
        stack = _scope_stack()
        # Re-entering the layer already innermost adds nothing (Keras skips it too): a Sequential
        # built inside its own build would otherwise name weights `s/s/c/kernel`.
        self._pushed = not stack or stack[-1] is not self.layer
        if self._pushed:
            stack.append(self.layer)

    def __exit__(self, *exc):
        if self._pushed:
            _scope_stack().pop()


def current_path():
    """The names of the scope stack joined by "/" (Keras's `current_path()`): the layers being
    built or called and the `lamina.name_scope`s open on this thread; a name scope with
    `override_parent` starts the path afresh."""
    names = []
    for entry in _scope_stack():
        parent = None if isinstance(entry, Layer) else entry.override_parent
        if parent is not None:
            names = [part for part in parent.split("/") if part]
        if entry.name:
            names.append(entry.name)
    return "/".join(names)


def _scoped_path(layer, name):
    """`outer/.../layer/name` for a weight of `layer` (Keras's variable path)."""
    stack = _scope_stack()
    if stack and stack[-1] is layer:
        path = current_path()
        # Remember where the layer lives, for weights it adds later outside any build or call
        # (quantize()), which Keras names under the same parent path.
        layer.__dict__["_parent_path"] = path[:-len(layer.name)].rstrip("/")
        return f"{path}/{name}" if path else name
    names = [current_path()] if stack else [layer.__dict__.get("_parent_path")]
    names.append(layer.name)
    return "/".join([part for part in names if part] + [name])


@keras_export("layers.Layer", "Layer", package=False)
class Layer(torch.nn.Module):
    _passes_strings = False  # Models hand text inputs to their (preprocessing) layers as is

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _set_call_traits(cls)
        if "build" in cls.__dict__:
            cls.build = _marks_built_when_called_directly(cls.__dict__["build"])

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        # Keras's auto-config: remember the constructor's arguments, so a custom layer without
        # get_config() can still be saved and rebuilt (when they are plain JSON values).
        instance.__dict__["_auto_config"] = _constructor_arguments(cls, args, kwargs)
        # torch's bookkeeping exists before the subclass's __init__ runs, so sublayers and
        # weights may be assigned before `super().__init__()` (Keras examples do).
        torch.nn.Module.__init__(instance)
        return instance
    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True,
                 name=None, **kwargs):
        if kwargs:
            check_kwargs(kwargs, _LAYER_KWARGS | _init_parameters(type(self)), f"{type(self).__name__}()")
        if "_modules" not in self.__dict__:  # (normally set up by __new__ already)
            super().__init__()
        # Keras semantics: inference unless training=True is passed or the model is put in
        # train mode (fit does); torch modules assigned before this line follow too.
        self.train(False)
        if name is not None and (not isinstance(name, str) or "/" in name):
            # (as Keras: "/" separates the parts of a weight's path, model/layer/kernel)
            raise ValueError(f"{type(self).__name__}(): `name` must be a string without '/'. "
                             f"Received: name={name!r}")
        self.name = name or naming.unique_name(naming.to_snake_case(type(self).__name__))
        self.built = False
        self._trainable = bool(trainable)
        self._set_dtype_policy(_policy_name(dtype))
        self.autocast = autocast
        from lamina import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.input_spec = None
        self.supports_masking = False
        self._tracked_variables = []  # creation order, as Keras lists `weights`
        self._losses = []
        self._inbound_nodes = []
        self._shape_checked = None
        self._build_shapes = None
        self._batch_input_shape = _batch_input_shape_from_kwargs(kwargs, type(self).__name__)
        if kwargs.get("weights") is not None:  # Keras 1/2: initial weights, set once built
            warn_deprecated("weights=", "`layer.set_weights(...)` after building",
                            f"{type(self).__name__}()", 4)
            self._initial_weights = kwargs["weights"]
        self._call_has_training = "training" in _call_parameters(type(self))
        self._training_default = _call_training_default(type(self))
        self._call_has_mask = "mask" in _call_parameters(type(self))
        self._computes_mask = type(self).compute_mask is not Layer.compute_mask
        remat_mode = get_current_remat_mode()
        if remat_mode is not None and remat_mode.mode is not None:
            self._remat_mode = remat_mode
            # (through nn.Module.__call__ to `forward`, which applies the mode)
            self._lamina_plain_module_call = False

    def _set_dtype_policy(self, name):
        """Float layers follow a dtype policy (the global one unless `dtype=` says otherwise);
        a mixed policy keeps float32 weights and computes under torch.autocast."""
        from lamina.mixed_precision import policy as policies

        if name is None or str(name).startswith("mixed_") or config.dtype_name(name) in (
                "float16", "bfloat16", "float32", "float64"):
            self.dtype_policy = policies.get(name)
            self.dtype = self.dtype_policy.variable_dtype
            self.compute_dtype = self.dtype_policy.compute_dtype
        else:
            self.dtype_policy = None
            self.dtype = self.compute_dtype = config.dtype_name(name)
        self._torch_dtype = config.to_torch_dtype(self.dtype)
        mixed = self.dtype_policy is not None and self.dtype_policy.is_mixed
        self._autocast_dtype = config.to_torch_dtype(self.compute_dtype) if mixed else None
        # A plain float policy inside a mixed-precision model (Keras's `Dense(10,
        # dtype="float32")` output layer) computes in its own dtype: see _call_outside_autocast.
        self._leaves_autocast = self.dtype_policy is not None and not mixed

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights: its policy's variable dtype (float32 under a
        mixed policy, where `compute_dtype` is the half-precision one)."""
        return self.dtype

    def _apply(self, fn, *args, **kwargs):
        """`.to(torch.float64)`, `.double()`, `.half()`: after torch converts the weights, the
        layer computes in their new dtype (its dtype policy follows), as a torch user expects."""
        module = super()._apply(fn, *args, **kwargs)
        policy = self.__dict__.get("dtype_policy")
        if policy is not None and not policy.is_mixed:
            new = fn(torch.empty(0, dtype=self._torch_dtype)).dtype
            if new != self._torch_dtype and new.is_floating_point:
                self._on_dtype_change(self._torch_dtype, new)
        return module

    def _on_dtype_change(self, old, new):
        self._set_dtype_policy(config.dtype_name(new))

    # ------------------------------------------------------------------ the call pipeline
    def __call__(self, *args, **kwargs):
        try:
            return self._call_pipeline(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - re-raised, with lamina's frames hidden
            raise filter_traceback(error)  # zero cost unless something was raised

    def _call_pipeline(self, *args, **kwargs):
        # The hot path is a built layer called on one tensor: for it each step below is an
        # attribute test or two (no symbolic scan, no conversion, no build, the shape checked
        # only when it changes), and nn.Module.__call__ is entered only when it has work to do.
        first = args[0] if args else None
        is_tensor = isinstance(first, torch.Tensor)
        if not is_tensor:
            if _has_symbolic(args, kwargs):
                return self._symbolic_call(args, kwargs)
            if args and not torch.compiler.is_compiling() and tf_tensors.contains_tf_tensor(
                    first):  # keras.io's tf.data pipelines
                return tf_tensors.call_layer(self, args, kwargs)
            if args and not (self._passes_strings and is_string_data(first)):
                first = _to_tensor(first, self._torch_dtype, self._passes_strings)
                args = (first,) + args[1:]
                is_tensor = isinstance(first, torch.Tensor)
        if self._leaves_autocast and _THREAD_STATE.autocast_device:
            return self._call_outside_autocast(args, kwargs)
        if not self.built:
            self._build_from_inputs(args, kwargs)
        meta = first.is_meta if is_tensor else bool(args) and getattr(first, "is_meta", False)
        if meta and _has_real_weights(self):
            return _call_with_meta_weights(self, args, kwargs)
        if self.input_spec is not None and args and (
                not is_tensor or first.shape != self._shape_checked
                or torch.compiler.is_compiling()):
            self._check_inputs(first)
        # (read before autocast makes a new tensor)
        if is_tensor:
            mask = getattr(first, "_keras_mask", None)
        else:
            mask = _input_mask(first) if args else None
        if "mask" in kwargs:
            mask = kwargs["mask"]
            if not self._call_has_mask:
                kwargs.pop("mask")
        elif mask is not None and self._call_has_mask:
            kwargs["mask"] = mask
        if self.autocast and args:
            if is_tensor:
                # (Layer's own _autocast leaves a tensor already in the layer's dtype as is)
                if first.dtype != self._torch_dtype or not self._lamina_base_autocast:
                    args = (self._autocast(first),) + args[1:]
            elif isinstance(first, (list, tuple, dict)):  # every tensor of a structure
                args = (_map_tensors(self._autocast, first),) + args[1:]
        context = _THREAD_STATE.context
        training = kwargs.get("training")
        shared = training  # what the layers called inside this call inherit
        if self._call_has_training and training is None:
            # Keras's order: an enclosing call's value, else the signature's default (None,
            # or True for the random augmentation layers); torch's train() mode comes before
            # the default, and is not passed on: nested modules consult their own modes.
            if context is not None and context.training is not None:
                training = context.training
            elif self.training:
                training = True
            else:
                training = shared = self._training_default
            kwargs["training"] = training
        elif not self._call_has_training and "training" in kwargs:
            kwargs.pop("training")
        previous = context
        if context is None:  # the outermost call: a new context, with a new id for its losses
            if torch.compiler.is_compiling():
                call_id = self._start_compiled_call()
            else:
                call_id = next(_CALL_IDS)
            context = _THREAD_STATE.context = CallContext(shared, call_id)
            self.__dict__["_outer_call_id"] = call_id
        elif shared is not None and shared != context.training:
            _THREAD_STATE.context = CallContext(shared, context.call_id)
        # Until one real forward pass has completed, sublayers may still be built inside it:
        # name their weights after this layer (then the hot path skips the scope).
        scoped = "_forward_done" not in self.__dict__
        if scoped:
            _scope_stack().append(self)
        try:
            if self._autocast_dtype is not None and _autocast_applies(args):
                outputs = self._call_in_autocast(args, kwargs)
            elif self._lamina_plain_module_call and _runs_forward_only(self):
                outputs = self.call(*args, **kwargs) if self._lamina_forward_is_call else \
                    self.forward(*args, **kwargs)
            else:
                outputs = super().__call__(*args, **kwargs)
        finally:
            _THREAD_STATE.context = previous
            if scoped:
                _scope_stack().pop()
        if scoped and not meta:
            self.__dict__["_forward_done"] = True
        if self.activity_regularizer is not None:
            self._add_activity_loss(outputs, context.call_id)
        if (mask is not None and self.supports_masking) or self._computes_mask:
            _attach_mask(outputs, self.compute_mask(args[0] if args else None, mask))
        return outputs

    def _call_in_autocast(self, args, kwargs):
        """A mixed-precision layer's call, under torch.autocast in its compute dtype. The region
        is marked as lamina's own (unlike one the user opened around the model), so that a
        full-precision layer inside can leave it (_call_outside_autocast)."""
        device = args[0].device.type
        outer = _THREAD_STATE.autocast_device
        _THREAD_STATE.autocast_device = device
        try:
            with torch.autocast(device, dtype=self._autocast_dtype):
                return super().__call__(*args, **kwargs)
        finally:
            _THREAD_STATE.autocast_device = outer

    def _call_outside_autocast(self, args, kwargs):
        """Run this full-precision layer with the enclosing mixed-precision layer's autocast
        switched off, as Keras computes a `dtype="float32"` layer in float32 inside a mixed
        model. With autocast off, `_autocast` casts the float inputs to this layer's dtype.
        (An autocast region the user opened is left alone: only lamina's own is switched off.)"""
        device = _THREAD_STATE.autocast_device
        _THREAD_STATE.autocast_device = None
        try:
            with torch.autocast(device, enabled=False):
                return self._call_pipeline(*args, **kwargs)
        finally:
            _THREAD_STATE.autocast_device = device

    def forward(self, *args, **kwargs):
        if self._remat_mode is not None:  # created inside a RematScope
            return self.rematerialized_call(self.call, *args, **kwargs)(*args, **kwargs)
        return self.call(*args, **kwargs)

    _remat_mode = None  # the RematScope's settings where the layer was created

    def rematerialized_call(self, layer_call, *args, **kwargs):
        """`layer_call` wrapped for recomputation in the backward pass as the layer's
        RematScope mode says (Keras's hook; `layer_call` unchanged without a scope)."""
        from lamina.rematerialization import rematerialized_call

        if _THREAD_STATE.symbolic_run or (args and isinstance(args[0], torch.Tensor)
                                           and args[0].is_meta):
            return layer_call  # (shape inference: nothing to recompute)
        return rematerialized_call(self, layer_call, args, kwargs)

    def quantized_call(self, *args, **kwargs):
        """The call of a quantized layer (Keras's hook; quantized layers route `call` here)."""
        quantized = getattr(self, "_quantized_call", None)
        if quantized is None or self.quantization_mode is None:
            raise NotImplementedError(
                f"Layer {type(self).__name__} is not quantized: it has no quantized call. "
                "Call `quantize(mode)` on it (Dense, EinsumDense, Embedding) first.")
        return quantized(*args, **kwargs)

    def symbolic_call(self, *args, **kwargs):
        """The call on symbolic inputs (KerasTensors): outputs with shapes and dtypes, and a
        node in the graph. Layers do this when called on `Input(...)` tensors."""
        return self(*args, **kwargs)

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(
            f"Layer {type(self).__name__} has no call() method. Define "
            "`def call(self, inputs): ...` returning the layer's output."
        )

    _accepts_integers = False  # layers that take ids (Embedding, lookups) say so

    def _autocast(self, x):
        if x.is_floating_point():
            if x.dtype != self._torch_dtype and not torch.is_autocast_enabled(x.device.type):
                return x.to(self._torch_dtype)
        elif self.__dict__.get("_float_math") and not x.is_complex():
            # Integer data into float weights (Dense(8)(np.arange(10).reshape(5, 2))): Keras
            # promotes it to floats; torch's matmul would refuse Long x Float.
            return x.to(self._torch_dtype)
        return x

    def _check_inputs(self, x):
        if not isinstance(x, torch.Tensor):  # a structure: each tensor against its own spec
            specs = self.input_spec if isinstance(self.input_spec, (list, tuple)) else [self.input_spec]
            for index, (tensor, spec) in enumerate(zip(tree.flatten(x), specs)):
                if spec is not None and isinstance(tensor, torch.Tensor):
                    check_input_shape(spec, tuple(tensor.shape), self, index)
            return
        shape = x.shape
        if shape != self._shape_checked or torch.compiler.is_compiling():
            specs = self.input_spec if isinstance(self.input_spec, (list, tuple)) else [self.input_spec]
            check_input_shape(specs[0], tuple(shape), self)
            if not torch.compiler.is_compiling():  # a cached size would pin traced batch sizes
                self.__dict__["_shape_checked"] = shape

    # ------------------------------------------------------------------ building
    def build(self, input_shape):
        self.built = True

    def _build_from_inputs(self, args, kwargs):
        first = args[0] if args else next(iter(kwargs.values()))
        shapes = tree.map_structure(_shape_of, first)
        if _THREAD_STATE.inferring_shapes or any(
                getattr(x, "is_meta", False) for x in tree.flatten(first)):
            # Built inside a parent's shape inference: the batch axis is a stand-in size.
            shapes = _with_unknown_batch(shapes)
        self._build_shapes = shapes
        self._build_with_shapes(shapes)
        device = next((x.device for x in tree.flatten(first) if isinstance(x, torch.Tensor)), None)
        if device is not None and device.type not in ("cpu", "meta"):
            self.to(device)

    def _build_with_shapes(self, shapes):
        if self._build_shapes is None:  # (a wrapper building its layer: remember the shape)
            self._build_shapes = _with_unknown_batch(_shapes_to_tuples(shapes))
        with _BuildScope(self):
            self.__dict__["_path"] = current_path()
            self.build(shapes)
        self._after_build()

    def _after_build(self):
        self.built = True
        # Float weights and no layer inside that takes ids: integer inputs become floats.
        layers = self._flatten_layers()
        self.__dict__["_float_math"] = not any(layer._accepts_integers for layer in layers) and any(
            v.is_floating_point() for layer in layers for v in layer._tracked_variables)
        initial = self.__dict__.pop("_initial_weights", None)
        if initial is not None:
            self.set_weights(initial)

    def build_from_config(self, build_config):
        shape = build_config.get("input_shape") if build_config else None
        if shape is not None and not self.built:
            self._build_shapes = _shapes_to_tuples(shape)
            self._build_with_shapes(self._build_shapes)

    def get_build_config(self):
        if self._build_shapes is None:
            return None
        return {"input_shape": _shapes_to_lists(self._build_shapes)}

    # ------------------------------------------------------------------ symbolic calls
    def _symbolic_call(self, args, kwargs):
        if not self.built:
            first = args[0] if args else next(iter(kwargs.values()))
            self._build_shapes = tree.map_structure(lambda t: t.shape, first)
            self._build_with_shapes(self._build_shapes)
        if self.input_spec is not None and args:
            first = tree.flatten(args[0])
            specs = self.input_spec if isinstance(self.input_spec, (list, tuple)) else [self.input_spec]
            for index, (x, spec) in enumerate(zip(first, specs)):
                if isinstance(x, kt.KerasTensor) and spec is not None:
                    check_input_shape(spec, x.shape, self, index)
        outputs = self.compute_output_spec(*args, **kwargs)
        if args:
            _attach_symbolic_mask(self, args[0], kwargs.get("mask"), outputs)
        Node(self, args, kwargs, outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """Symbolic outputs for symbolic inputs; from `compute_output_shape` when overridden,
        otherwise by running `call` on the meta device (no memory, no arithmetic)."""
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = self.compute_output_shape(tree.map_structure(lambda t: t.shape, args[0]))
            return _shapes_to_keras_tensors(shapes, self.dtype)
        return _meta_output_spec(self, args, kwargs)

    def compute_output_shape(self, input_shape):
        """Output shape(s) for `input_shape`, found by running the layer on the meta device."""
        inputs = _map_shapes(lambda s: kt.KerasTensor(s, self.dtype), _shapes_to_tuples(input_shape))
        if not self.built:
            self._build_shapes = _shapes_to_tuples(input_shape)
            self._build_with_shapes(self._build_shapes)
        outputs = _meta_output_spec(self, (inputs,), {})
        return tree.map_structure(lambda t: t.shape, outputs)

    def compute_mask(self, inputs, mask=None):
        """The mask of the output (Keras semantics: passed through by layers that support it)."""
        return mask if self.supports_masking else None

    # ------------------------------------------------------------------ graph helpers
    @property
    def input(self):
        return self._node_attribute("call_args", "input")

    @property
    def output(self):
        return self._node_attribute("outputs", "output")

    def _node_attribute(self, attribute, what):
        if not self._inbound_nodes:
            raise AttributeError(
                f'Layer "{self.name}" has never been called on a symbolic input, so it has no '
                f"{what}. Call it on `lamina.Input(shape=...)` first."
            )
        if len(self._inbound_nodes) > 1:
            raise AttributeError(
                f'Layer "{self.name}" has been called {len(self._inbound_nodes)} times, so its '
                f"{what} is ambiguous. Use `layer._inbound_nodes[i]` to pick one call."
            )
        value = getattr(self._inbound_nodes[0], attribute)
        return value[0] if attribute == "call_args" else value

    @property
    def input_shape(self):
        if self._inbound_nodes:
            return tree.map_structure(lambda t: t.shape, self.input)
        if self._build_shapes is not None:
            return _with_unknown_batch(self._build_shapes)
        raise AttributeError(
            f'The layer "{self.name}" has not been built or called yet, so its input shape is '
            "unknown."
        )

    @property
    def output_shape(self):
        if self._inbound_nodes:
            return tree.map_structure(lambda t: t.shape, self.output)
        if self._build_shapes is not None:
            return self.compute_output_shape(_with_unknown_batch(self._build_shapes))
        raise AttributeError(
            f'The layer "{self.name}" has not been built or called yet, so its output shape is '
            "unknown."
        )

    # ------------------------------------------------------------------ weights
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None, **kwargs):
        if isinstance(shape, str):  # Keras 2 order: add_weight(name, shape, ...)
            shape, name, initializer = initializer, shape, None
        check_kwargs(kwargs, set(), f"{self.name}.add_weight()")
        from lamina import constraints, initializers, regularizers

        dtype = config.to_torch_dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating_point else "zeros"
        initializer = initializers.get(initializer)
        shape = tuple(int(d) for d in (shape or ()))
        value = initializer(shape, dtype=dtype) if callable(initializer) else initializer
        value = torch.as_tensor(value, dtype=dtype).reshape(shape)
        # Keras names an unnamed weight variable, variable_1, ... (one counter per session); its
        # state_dict key stays per layer (variable_0, ...), so keys do not depend on history.
        key = name or f"variable_{len(self._tracked_variables)}"
        name = name or naming.unique_name("variable")
        requires_grad = bool(trainable) and dtype.is_floating_point
        variable = Variable._from_tensor(value, requires_grad, name, _scoped_path(self, name))
        variable._keras_trainable = bool(trainable)
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        if aggregation != "none":
            variable._set_distribution_strategy(aggregation, "auto")
        if overwrite_with_gradient is not False:  # (a non-bool raises, as in Keras)
            variable.overwrite_with_gradient = overwrite_with_gradient
        if not self.trainable:
            variable.requires_grad_(False)
        self._tracked_variables.append(variable)
        self.register_parameter(_unique_attribute(self, key), variable)
        return variable

    add_variable = add_weight

    def __setattr__(self, name, value):
        if name in self.__dict__ and not isinstance(
            value, (torch.Tensor, torch.nn.Module, list, tuple, dict)
        ):
            self.__dict__[name] = value  # a plain attribute again: skip nn.Module's bookkeeping
            if name in self._modules:  # (it held a tracked container of layers)
                del self._modules[name]
            return
        if (getattr(type(value), "_is_lamina_metric", False) or (
                isinstance(value, (list, tuple)) and value and
                all(getattr(type(v), "_is_lamina_metric", False) for v in value))) and (
                not name.startswith("_") or not _assigned_by_lamina()):
            # (not the trainer's own loss trackers: `model.metrics` lists those already)
            # A metric held by a layer: listed in `layer.metrics` (and so in the model's,
            # reset each epoch and logged), as Keras tracks it.
            self.__dict__.setdefault("_tracked_metrics", {})[name] = value
            METRICS_HELD[0] += 1
        if isinstance(value, Variable) and any(v is value for v in self._tracked_variables):
            # `self.kernel = self.add_weight(name="w")`: keep one registration, under `kernel`.
            for key, param in list(self._parameters.items()):
                if param is value and key != name:
                    del self._parameters[key]
        elif isinstance(value, torch.nn.Module) and not isinstance(value, Layer) and \
                "training" in self.__dict__:
            value.train(self.training)  # a torch module starts in its parent's mode
        elif isinstance(value, (list, tuple)) and value and all(
            isinstance(v, torch.nn.Module) for v in value
        ):
            value = torch.nn.ModuleList(value)  # so torch sees layers kept in a list
        elif isinstance(value, dict) and value and all(
            isinstance(v, torch.nn.Module) for v in value.values()
        ) and all(isinstance(k, str) for k in value):
            value = torch.nn.ModuleDict(value)
        elif type(value) in (list, dict, tuple) and (
                (not value and type(value) is not tuple) or tracking.holds_modules(value)) and (
                not name.startswith("_") or not _assigned_by_lamina()):
            # `self.blocks = []` filled later, or layers nested in lists and dicts: they are
            # sublayers, as Keras tracks them. (Not lamina's own private bookkeeping, e.g.
            # Sequential's `_stack`.)
            if type(value) is not tuple:
                value = tracking.track_container(self, name, value)
            if name in self._modules:
                del self._modules[name]
            super().__setattr__(name, value)
            nested = tracking.modules_in(value)
            if nested is not None:
                self._modules[name] = nested
            return
        if name in self._modules and name in self.__dict__:
            del self._modules[name]  # (the modules a replaced container held)
        super().__setattr__(name, value)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        # Keras sets the flag on every nested layer too (transfer-learning code checks
        # `base_model.layers[i].trainable`); a sublayer may be switched back afterwards.
        for layer in self._flatten_layers():
            layer._trainable = bool(value)
        self._apply_trainable(True)

    def _apply_trainable(self, parent_trainable):
        effective = parent_trainable and self._trainable
        for variable in self._tracked_variables:
            variable.requires_grad_(effective and variable._keras_trainable)
        for child in _child_modules(self):
            if isinstance(child, Layer):
                child._apply_trainable(effective)
            else:
                for p in child.parameters():
                    p.requires_grad_(effective)

    @property
    def metrics(self):
        """The metrics this layer and its sublayers hold as attributes (Keras's order: own
        first)."""
        result = self._own_metrics()
        for layer in self._sublayers():
            result.extend(layer.metrics)
        return result

    @property
    def metrics_variables(self):
        """The variables of `self.metrics`, in that order."""
        return [variable for metric in self.metrics for variable in metric.variables]

    def _own_metrics(self):
        tracked = self.__dict__.get("_tracked_metrics")
        if not tracked:
            return []
        result = []
        for name, value in tracked.items():
            if self.__dict__.get(name) is value:  # (still held: not reassigned since)
                result.extend(value if isinstance(value, (list, tuple)) else [value])
        return result

    @property
    def weights(self):
        seen, result = set(), []
        for w in self._own_weights() + [w for layer in self._sublayers() for w in layer.weights]:
            if id(w) not in seen:
                seen.add(id(w))
                result.append(w)
        return result

    variables = weights

    def _own_weights(self):
        own = list(self._tracked_variables)
        tracked = {id(v) for v in own}
        own += [p for p in self._parameters.values() if p is not None and id(p) not in tracked]
        for child in _child_modules(self):
            if not isinstance(child, Layer):  # plain torch modules count as part of this layer
                own += list(child.parameters())
        return own

    def _sublayers(self):
        return [m for m in _child_modules(self) if isinstance(m, Layer)]

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        own = [w for w in self._own_weights() if getattr(w, "_keras_trainable", w.requires_grad)]
        nested = [w for layer in self._sublayers() for w in layer.trainable_weights]
        return _unique(own + nested)

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """Copies of the weights as numpy arrays (in Keras layouts), not views of live tensors."""
        return [to_numpy(w) for w in self.weights]  # (a sharded weight is gathered)

    def set_weights(self, weights):
        params = self.weights
        if len(weights) != len(params):
            raise ValueError(
                f'Layer "{self.name}" expects {len(params)} weight arrays, but set_weights() got '
                f"{len(weights)}. Expected shapes: {[tuple(p.shape) for p in params]}."
            )
        for param, value in zip(params, weights):
            value = np.asarray(value) if not isinstance(value, torch.Tensor) else value
            if tuple(value.shape) != tuple(param.shape):
                raise ValueError(
                    f'Layer "{self.name}" weight "{getattr(param, "path", "?")}" has shape '
                    f"{tuple(param.shape)}, but set_weights() got an array of shape "
                    f"{tuple(value.shape)}."
                )
        with torch.no_grad():
            for param, value in zip(params, weights):
                assign_full(param, value)  # (a sharded weight keeps its own part)

    def count_params(self):
        if not self.built:
            raise ValueError(
                f'You tried to call count_params on layer "{self.name}", but the layer is not '
                "built. Build it first, e.g. by calling it on data or on `lamina.Input(...)`."
            )
        return int(sum(w.numel() for w in self.weights))

    # ------------------------------------------------------------------ losses
    def add_loss(self, loss):
        if isinstance(loss, kt.KerasTensor):
            raise NotImplementedError(
                f'add_loss() on "{self.name}" got a symbolic tensor. As in Keras 3, a loss '
                "computed from symbolic tensors cannot be added to a model (Keras 2 allowed it). "
                "Compute it inside a layer instead: a small layer whose call() does "
                "`self.add_loss(...)` and returns its input, placed in the model.")
        if isinstance(loss, torch.Tensor) and (loss.device.type == "meta"
                                               or _THREAD_STATE.inferring_shapes):
            return  # shape inference, not a real forward pass
        context = current_call_context()
        self._record_loss(loss, next(_CALL_IDS) if context is None else context.call_id)

    def _record_loss(self, loss, call_id):
        """Losses of one outermost call accumulate (a shared layer called twice keeps both);
        a later call starts afresh, as Keras clears losses at the outermost call."""
        scope = get_stateless_scope()
        if scope is not None:  # a StatelessScope collects them (or drops them), as in Keras
            scope._collect_layer_loss(self, loss, call_id)
            return
        if self.__dict__.get("_losses_call_id") != call_id:
            self.__dict__["_losses_call_id"] = call_id
            self._losses = []
        self._losses.append(loss)

    def _start_compiled_call(self):
        """The outermost call's id inside torch.compile: always the same one, because a
        counter read while tracing becomes a guard that fails at every step (a recompilation
        each step). So the losses of the previous call are cleared here instead of being told
        apart by their id; tracing unrolls this loop once and the step replays it."""
        for layer in self._flatten_layers():
            layer.__dict__["_losses_call_id"] = _COMPILED_CALL_ID
            layer.__dict__["_losses"] = []  # (not setattr: it reads the old list into a guard)
        return _COMPILED_CALL_ID

    def _current_losses(self):
        """`add_loss` and activity losses of this layer's last outermost call (and later)."""
        since = self.__dict__.get("_outer_call_id", 0)
        scope = get_stateless_scope()
        if scope is not None:
            return scope._layer_losses(self._flatten_layers(), since)
        collected = []
        for layer in self._flatten_layers():
            if layer._losses and layer.__dict__.get("_losses_call_id", 0) >= since:
                collected.extend(layer._losses)
        return collected

    @property
    def losses(self):
        """Losses of the last forward pass (add_loss, activity regularizers) plus weight penalties."""
        collected = self._current_losses()
        for layer in self._flatten_layers():
            for w in layer._tracked_variables:
                if w.regularizer is not None:
                    collected.append(w.regularizer(w))
        return collected

    def _add_activity_loss(self, outputs, call_id):
        for output in tree.flatten(outputs):
            if isinstance(output, torch.Tensor) and output.device.type != "meta" and \
                    not _THREAD_STATE.inferring_shapes:
                batch = output.shape[0] if output.ndim else 1
                self._record_loss(self.activity_regularizer(output) / batch, call_id)

    def _flatten_layers(self):
        return [m for m in self.modules() if isinstance(m, Layer)]

    def add_metric(self, *args, **kwargs):
        raise NotImplementedError(
            f'Layer "{self.name}": add_metric() no longer exists (Keras 3 removed it). Pass '
            "metrics to `model.compile(metrics=[...])`, or create metric objects (e.g. "
            "`self.tracker = lamina.metrics.Mean(name=...)`) in __init__() or build() and call "
            "their `update_state()` in call() or in a custom train_step().")

    # ------------------------------------------------------------------ stateless API
    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, **kwargs):
        """Call the layer with the given variable values and no side effects.

        `trainable_variables` / `non_trainable_variables` are values (tensors) in the order of
        `self.trainable_variables` / `self.non_trainable_variables`. Returns `(outputs,
        non_trainable_variables)`, the latter with the values the call assigned (e.g.
        BatchNormalization's moving statistics with `training=True`), or `(outputs,
        non_trainable_variables, losses)` with `return_losses=True`. The layer's own variables
        are left as they were; gradients flow to the given trainable values."""
        from lamina.stateless import stateless_call

        return stateless_call(self, trainable_variables, non_trainable_variables, args, kwargs,
                              return_losses)

    @property
    def path(self):
        """Where the layer sits among the layers it was built in, e.g. "model/block/dense";
        None until it is built."""
        path = self.__dict__.get("_path")
        if "_path" not in self.__dict__ and self.built:  # built by a direct `build()` call
            own = self._tracked_variables
            path = own[0].path.rpartition("/")[0] if own and own[0].path else self.name
        return path

    @property
    def input_dtype(self):
        """The dtype the layer converts its float inputs to (its compute dtype)."""
        return self.compute_dtype

    # ------------------------------------------------------------------ config
    def get_config(self):
        dtype = self.dtype  # Keras 3 writes a float layer's dtype as its DTypePolicy
        if self.dtype_policy is not None:
            dtype = {"module": "keras", "class_name": "DTypePolicy",
                     "config": {"name": self.dtype_policy.name}, "registered_name": None}
        config_dict = {"name": self.name, "trainable": self.trainable, "dtype": dtype}
        if self._batch_input_shape is not None:
            config_dict["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            from lamina.registry.serialization import serialize_keras_object

            config_dict["activity_regularizer"] = serialize_keras_object(self.activity_regularizer)
        return _with_auto_config(self, config_dict)

    @classmethod
    def from_config(cls, config_dict):
        config_dict = dict(config_dict)
        if isinstance(config_dict.get("dtype"), dict):  # a Keras 3 DTypePolicy dict
            config_dict["dtype"] = config_dict["dtype"].get("config", {}).get("name")
        batch_input_shape = config_dict.pop("batch_input_shape", None)
        for key in _KERAS_FEATURE_KEYS & set(config_dict):
            if key.startswith("lora_") and hasattr(cls, "enable_lora"):
                continue  # (Dense, EinsumDense, Embedding take them)
            value = config_dict.pop(key)
            if value:
                raise NotImplementedError(
                    f'The config of layer "{config_dict.get("name")}" uses `{key}={value!r}`, a '
                    "Keras feature (quantization / LoRA) that lamina does not support yet."
                )
        layer = cls(**config_dict)
        if batch_input_shape is not None:
            layer._batch_input_shape = tuple(batch_input_shape)
        return layer

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    def _get_name(self):  # what torch prints in module reprs
        return type(self).__name__

    # ------------------------------------------------------------------ quantization
    # (Dense, EinsumDense and Embedding implement it: lamina/quantizers/layer_quantization.py)
    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize this built layer's weights in place: `mode` "int8" or "int4" (or a
        `config`, a `lamina.quantizers.QuantizationConfig`). Layers that cannot be quantized
        raise NotImplementedError; an unbuilt or already quantized layer raises ValueError."""
        from lamina.quantizers.layer_quantization import quantize_layer

        quantize_layer(self, mode, type_check=type_check, config=config)

    @property
    def quantization_mode(self):
        """The quantization mode of this layer ("int8", "int4", ...); None if not quantized."""
        policy = self.__dict__.get("dtype_policy")
        return None if policy is None else policy.quantization_mode


DEFAULT_GET_CONFIGS = {Layer.get_config}  # get_configs that auto-config completes


def _marks_built_when_called_directly(build):
    """Wrap a layer class's `build`: called directly by a program (`layer.build(shape)`, e.g.
    before `set_weights`), it builds as a call would (under the layer's name scope, recording
    the shape) and marks the layer built, as Keras does, so the next call does not build it
    again with new weights. Inside lamina's own build (or a `super().build` chain) it is the
    plain method."""
    if getattr(build, "_lamina_build_wrapper", False):
        return build

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        stack = _scope_stack()
        if stack and stack[-1] is self:
            return build(self, *args, **kwargs)
        with _BuildScope(self):
            self.__dict__["_path"] = current_path()
            build(self, *args, **kwargs)
        if self._build_shapes is None and len(args) == 1 and not kwargs:
            try:  # (remembered for get_build_config, as a call would)
                self._build_shapes = _with_unknown_batch(_shapes_to_tuples(args[0]))
            except (TypeError, ValueError):
                pass
        self._after_build()
        return None

    wrapper._lamina_build_wrapper = True
    return wrapper


class _BuildScope:
    """Weights are created as real CPU tensors even if a `with torch.device('meta')` is active."""

    def __init__(self, layer):
        self.layer = layer

    def __enter__(self):
        self.mode = torch.device("cpu")
        self.mode.__enter__()
        _scope_stack().append(self.layer)

    def __exit__(self, *exc):
        _scope_stack().pop()
        self.mode.__exit__(*exc)


def _map_tensors(fn, structure):
    if isinstance(structure, torch.Tensor):
        return fn(structure)
    if isinstance(structure, dict):
        return {key: _map_tensors(fn, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map_tensors(fn, value) for value in structure)
    return structure


def _has_real_weights(layer):
    return any(not t.is_meta for t in layer.parameters()) or any(
        not t.is_meta for t in layer.buffers())


def _call_with_meta_weights(layer, args, kwargs):
    """A sublayer built during a parent's shape inference (created in the parent's __init__,
    built inside its call) holds real weights while its inputs are meta tensors: run it with
    meta stand-ins for its weights, as the parent's own weights are."""
    from torch.func import functional_call

    state = {name: t.to("meta") for name, t in layer.named_parameters()}
    state.update({name: t.to("meta") for name, t in layer.named_buffers()})
    with symbolic_run():
        return functional_call(layer, state, tuple(args), kwargs)


def _meta_output_spec(layer, args, kwargs):
    """Run `layer` on meta tensors twice (different stand-ins for unknown dims) and compare.

    Meta tensors carry no data, so a `call` that reads values (a custom layer building a tile
    count or a causal mask from `ops.shape`, a mask's padding lengths) fails there; it is then
    run on zero-filled tensors of the same stand-in shapes instead, with its real weights."""
    try:
        first, second = _stand_in_runs(layer, args, kwargs, with_data=False)
    except (RuntimeError, IndexError, TypeError) as error:
        try:
            first, second = _stand_in_runs(layer, args, kwargs, with_data=True)
        except Exception:  # noqa: BLE001 - a genuine error: the meta run's message says it
            shapes = [x.shape for x in tree.flatten(args) if isinstance(x, kt.KerasTensor)]
            raise ValueError(
                f'Layer "{layer.name}" ({type(layer).__name__}) cannot process inputs of shape '
                f"{shapes[0] if len(shapes) == 1 else shapes}: {error}"
            ) from error
    return tree.pack_sequence_as(first, [
        _merge_meta(a, b) for a, b in zip(tree.flatten(first), tree.flatten(second))
    ])


_DATA_STAND_IN_SIZES = (2, 3)


def inferring_shapes(tensor):
    """True while `tensor` flows through shape inference rather than a real call: a meta
    tensor, or zero-filled stand-in data (a layer keeps no state from such a call)."""
    return tensor.device.type == "meta" or _THREAD_STATE.inferring_shapes


def _stand_in_runs(layer, args, kwargs, with_data):
    """The layer's outputs for each stand-in size of the unknown dims: on meta tensors (no
    memory, no arithmetic), or `with_data` on zeros, on the layer's device, without gradients,
    adding no losses and leaving the layer's own state (e.g. moving statistics) as it was."""
    if with_data:
        device = next((t.device for t in layer.parameters()), None) or default_device()
        saved = {name: t.detach().clone() for name, t in layer.state_dict().items()}
    else:
        device = torch.device("meta")
        state = {name: t.to("meta") for name, t in layer.named_parameters()}
        state.update({name: t.to("meta") for name, t in layer.named_buffers()})
    with symbolic_run():
        return _run_stand_ins(layer, args, kwargs, with_data, device,
                              saved if with_data else state)


@contextlib.contextmanager
def symbolic_run():
    """Marks a run for shapes only (meta tensors, stand-in data): metrics that layers update
    in their `call` stay as they are, as in Keras's symbolic calls."""
    previous = _THREAD_STATE.symbolic_run
    _THREAD_STATE.symbolic_run = True
    try:
        yield
    finally:
        _THREAD_STATE.symbolic_run = previous


def _run_stand_ins(layer, args, kwargs, with_data, device, state):
    """`_stand_in_runs`'s loop; `state` is the meta weights, or (with data) the saved copy
    of the layer's state to put back after each run."""
    from torch.func import functional_call

    saved = state
    runs = []
    # (small sizes with data: an unknown sequence length stands in for real lengths, which
    # may index a position embedding no longer than the real sequences)
    for stand_in in _DATA_STAND_IN_SIZES if with_data else kt.STAND_IN_SIZES:
        run_args, run_kwargs = tree.map_structure(
            lambda x: _stand_in(x, stand_in, device) if isinstance(x, kt.KerasTensor) else
            x.to(device) if isinstance(x, torch.Tensor) else x,  # constants beside symbols
            (args, kwargs)
        )
        if not with_data:
            with torch.device("meta"):
                runs.append(functional_call(layer, state, tuple(run_args), run_kwargs))
            continue
        previous = _THREAD_STATE.inferring_shapes
        _THREAD_STATE.inferring_shapes = True
        try:
            with torch.device(device), torch.no_grad():
                runs.append(layer(*run_args, **run_kwargs))
        finally:
            _THREAD_STATE.inferring_shapes = previous
            current = layer.state_dict()
            with torch.no_grad():
                for name, value in saved.items():
                    current[name].copy_(value)
    return runs


def _stand_in(x, stand_in, device):
    """A meta tensor (device "meta") or a zero-filled one for a KerasTensor, carrying its mask
    (all true with data), so `call(x, mask=...)` sees it."""
    if device.type == "meta":
        return _to_meta(x, stand_in)
    shape = [stand_in if d is None else d for d in x.shape]
    tensor = torch.zeros(shape, dtype=config.to_torch_dtype(x.dtype), device=device)
    mask = getattr(x, "_keras_mask", None)
    if mask is not None:
        tensor._keras_mask = torch.ones([stand_in if d is None else d for d in mask.shape],
                                        dtype=torch.bool, device=device)
    return tensor


def _to_meta(x, stand_in):
    """A meta tensor for a KerasTensor, carrying its mask, so `call(x, mask=...)` sees it."""
    meta = x.to_meta(stand_in)
    mask = getattr(x, "_keras_mask", None)
    if mask is not None:
        meta._keras_mask = mask.to_meta(stand_in)
    return meta


def _attach_symbolic_mask(layer, inputs, explicit_mask, outputs):
    """The symbolic output's `_keras_mask`, from `compute_mask` run on meta tensors, as Keras
    attaches masks to KerasTensors (a functional model's next layer receives it as `mask=`)."""
    mask = explicit_mask if explicit_mask is not None else _input_mask(inputs)
    if not ((mask is not None and layer.supports_masking) or layer._computes_mask):
        return
    runs = []
    for stand_in in kt.STAND_IN_SIZES:
        meta_inputs, meta_mask = tree.map_structure(
            lambda x: _to_meta(x, stand_in) if isinstance(x, kt.KerasTensor) else x,
            (inputs, mask))
        with torch.device("meta"):
            runs.append(layer.compute_mask(meta_inputs, meta_mask))
    first, second = runs
    if first is None:
        return
    merged = tree.pack_sequence_as(first, [
        _merge_meta(a, b) for a, b in zip(tree.flatten(first), tree.flatten(second))])
    _attach_mask(outputs, merged)


def _merge_meta(a, b):
    if not isinstance(a, torch.Tensor):
        return a
    shape = [da if da == db else None for da, db in zip(a.shape, b.shape)]
    return kt.KerasTensor(shape, a.dtype)


def _shapes_to_keras_tensors(shapes, dtype):
    if isinstance(shapes, (list, tuple)) and shapes and all(
        isinstance(s, (list, tuple)) or s is None for s in shapes
    ) and not all(s is None for s in shapes):
        return [kt.KerasTensor(s, dtype) for s in shapes]
    return kt.KerasTensor(shapes, dtype)


def is_shape(value):
    """A single shape (a tuple/list of ints and None) as opposed to a structure of shapes."""
    return isinstance(value, (tuple, list)) and all(
        d is None or isinstance(d, int) for d in value
    )


def _map_shapes(fn, shapes):
    if is_shape(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, dict):
        return {k: _map_shapes(fn, v) for k, v in shapes.items()}
    return [_map_shapes(fn, s) for s in shapes]


def _with_unknown_batch(shapes):
    """Shapes seen when built from real data, with the batch size left open (as Keras shows)."""
    return _map_shapes(lambda s: (None,) + tuple(s[1:]) if s else s, shapes)


def _shape_of(x):
    if isinstance(x, torch.Tensor):
        return tuple(x.shape)
    return tuple(np.shape(x))


def _shapes_to_tuples(shape):
    if isinstance(shape, dict):
        return {k: _shapes_to_tuples(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        return [_shapes_to_tuples(s) for s in shape]
    return tuple(None if d is None else int(d) for d in shape)


def _shapes_to_lists(shape):
    if isinstance(shape, dict):
        return {k: _shapes_to_lists(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        return [_shapes_to_lists(s) for s in shape]
    return list(shape)


def _input_mask(x):
    """Masks travel with tensors as a `_keras_mask` attribute, as in Keras."""
    if isinstance(x, (torch.Tensor, kt.KerasTensor)):
        return getattr(x, "_keras_mask", None)
    if isinstance(x, (list, tuple)):
        masks = [getattr(t, "_keras_mask", None) for t in x]
        return None if all(m is None for m in masks) else masks
    return None


def _attach_mask(outputs, mask):
    if mask is None:
        return
    if isinstance(outputs, (torch.Tensor, kt.KerasTensor)):
        if isinstance(mask, (list, tuple)):
            # one output, several masks (a layer taking [x, context] that passes masks on):
            # the first one, as Keras pairs flattened outputs with flattened masks
            mask = tree.flatten(mask)[0] if mask else None
            if mask is None:
                return
        outputs._keras_mask = mask
    elif isinstance(outputs, (list, tuple)):
        masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(outputs)
        for output, output_mask in zip(outputs, masks):
            _attach_mask(output, output_mask)


def _has_symbolic(args, kwargs):
    if args and isinstance(args[0], kt.KerasTensor):
        return True
    if args and isinstance(args[0], torch.Tensor):
        return False
    return any(isinstance(x, kt.KerasTensor) for x in tree.flatten((args, kwargs)))


def _to_tensor(x, dtype, keep_text=False):
    """numpy arrays and Python numbers given to a layer become tensors (floats in floatx).
    With `keep_text` (models), text columns of a structure stay as they are, for the text
    layers inside (a dict of columns for a FeatureSpace or a StringLookup)."""
    if isinstance(x, (list, tuple, dict)):
        return tree.map_structure(lambda v: _to_tensor(v, dtype, keep_text), x)
    if isinstance(x, torch.Tensor) or x is None:
        return x
    array = np.asarray(x)
    if not array.flags.writeable:  # torch warns about wrapping read-only memory: copy it
        array = array.copy()
    if array.dtype.kind == "f":
        return torch.as_tensor(array, dtype=dtype)
    if array.dtype.kind in "OUS":
        if keep_text:
            return x
        raise TypeError(
            f"Layers take numeric data, but received an array of dtype {array.dtype} (strings or "
            "objects). Convert it to numbers first, or start the model with a text layer "
            "(TextVectorization, StringLookup or Hashing) that turns text into numbers."
        )
    return torch.as_tensor(array)


def _constructor_arguments(cls, args, kwargs):
    """The arguments a layer was constructed with, by name; None unless all are plain JSON."""
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    arguments = {}
    for index, (name, value) in enumerate(bound.arguments.items()):
        if index == 0:
            continue  # self
        parameter = inspect.signature(cls.__init__).parameters[name]
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(value)
        elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            if value:
                return None
        else:
            arguments[name] = value
    return arguments if _is_plain_json(arguments) else None


def _is_plain_json(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain_json(v) for k, v in value.items())
    return False


def _with_auto_config(layer, config_dict):
    """A layer class that does not define get_config() saves its constructor arguments (Keras's
    auto-config), or says clearly why it cannot."""
    if type(layer).get_config not in DEFAULT_GET_CONFIGS:
        return config_dict
    auto = layer.__dict__.get("_auto_config")
    if auto is None:
        required = [
            name for name, p in list(inspect.signature(type(layer).__init__).parameters.items())[1:]
            if p.default is inspect.Parameter.empty
            and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        ]
        if required:
            raise NotImplementedError(
                f"{type(layer).__name__} was constructed with arguments that are not plain JSON "
                f"values ({', '.join(required)} ...), so lamina cannot save them automatically. "
                "Implement get_config() (and from_config() if needed) on the class."
            )
        return config_dict
    return {**config_dict, **{k: v for k, v in auto.items() if k not in config_dict}}


def _autocast_applies(args):
    """A mixed-precision layer autocasts on real devices, unless an outer autocast is active."""
    x = args[0] if args else None
    return (isinstance(x, torch.Tensor) and x.device.type in ("cuda", "cpu", "xpu", "mps")
            and not torch.is_autocast_enabled(x.device.type))


_TORCH_MODULE = torch.nn.modules.module


def _runs_forward_only(layer):
    """True when `nn.Module.__call__` would only call `forward`: no hooks on the layer or
    global ones, no `module.compile()`, no `torch.jit.trace` (torch's own fast path, taken
    here without its two extra frames). Hooks, tracing and compilation go through torch
    (inside torch.compile too: Dynamo breaks the graph on some of these reads)."""
    return not (torch.compiler.is_compiling() or layer._forward_hooks or layer._forward_pre_hooks or layer._backward_hooks
                or layer._backward_pre_hooks or _TORCH_MODULE._global_forward_hooks
                or _TORCH_MODULE._global_forward_pre_hooks
                or _TORCH_MODULE._global_backward_hooks
                or _TORCH_MODULE._global_backward_pre_hooks
                or layer._compiled_call_impl is not None
                or torch._C._get_tracing_state())


def _set_call_traits(cls):
    """What the call pipeline needs to know about a layer class, as plain class attributes
    (set when the class is created; torch.compile reads them as constants): whether the
    `__call__` after Layer's is nn.Module's (a mixin may add its own), whether `forward` is
    Layer's (which only calls `call`), and whether `_autocast` is Layer's."""
    cls._lamina_plain_module_call = super(Layer, cls).__call__ is torch.nn.Module.__call__
    cls._lamina_forward_is_call = cls.forward is Layer.forward
    cls._lamina_base_autocast = cls._autocast is Layer._autocast


_set_call_traits(Layer)


def _policy_name(dtype):
    if isinstance(dtype, dict):
        return dtype.get("config", {}).get("name")
    name = getattr(dtype, "name", None)
    return name if isinstance(name, str) else dtype


def _batch_input_shape_from_kwargs(kwargs, class_name):
    """Keras lets the first layer of a Sequential say its input shape; several spellings exist."""
    where = f"{class_name}()"
    batch_size = kwargs.get("batch_size")
    if "batch_shape" in kwargs:
        return tuple(kwargs["batch_shape"])
    if "batch_input_shape" in kwargs:
        warn_deprecated("batch_input_shape=", "`Input(batch_shape=...)` or `input_shape=`",
                        where, 5)
        return tuple(kwargs["batch_input_shape"])
    if batch_size is not None:
        warn_deprecated("batch_size=", "Input(shape=..., batch_size=...)", where, 5)
    if "input_shape" in kwargs and kwargs["input_shape"] is not None:
        shape = kwargs["input_shape"]
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return (batch_size,) + shape
    if kwargs.get("input_dim") is not None:
        warn_deprecated("input_dim=", "`input_shape=(input_dim,)` or an `Input` layer", where, 5)
        shape = (kwargs["input_dim"],)
        return (batch_size,) + shape
    return None


def _init_parameters(cls):
    """Every keyword the constructors along the class hierarchy accept (for typo suggestions)."""
    names = set()
    for klass in cls.__mro__:
        if "__init__" in klass.__dict__ and klass is not object:
            try:
                names |= set(inspect.signature(klass.__init__).parameters)
            except (TypeError, ValueError):
                pass
    return names - {"self", "args", "kwargs"}


def _call_training_default(cls):
    """The default of `training` in `cls.call`'s signature when it is a bool, else None."""
    cache = cls.__dict__.get("_lamina_training_default", ())
    if cache == ():
        parameter = inspect.signature(cls.call).parameters.get("training")
        cache = parameter.default if parameter is not None and isinstance(
            parameter.default, bool) else None
        cls._lamina_training_default = cache
    return cache


def _call_parameters(cls):
    cache = cls.__dict__.get("_lamina_call_parameters")
    if cache is None:
        cache = frozenset(inspect.signature(cls.call).parameters)
        cls._lamina_call_parameters = cache
    return cache


def _assigned_by_lamina():
    """Whether the code assigning the attribute (two frames up: past `__setattr__`) is
    lamina's own."""
    return sys._getframe(2).f_globals.get("__name__", "").startswith("lamina.")


def _child_modules(module):
    """Direct children, looking through ModuleList/ModuleDict containers."""
    for child in module._modules.values():
        if isinstance(child, (torch.nn.ModuleList, torch.nn.ModuleDict, torch.nn.Sequential)) and \
                not isinstance(child, Layer):
            yield from _child_modules(child)
        elif child is not None:
            yield child


def _unique(items):
    seen, result = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            result.append(item)
    return result


def _unique_attribute(module, name):
    """A free attribute name for a new weight: `kernel`, or `kernel_1` if that is taken."""
    base = name.replace("/", "_").replace(".", "_")
    candidate, i = base, 1
    while hasattr(module, candidate) or hasattr(type(module), candidate):
        candidate = f"{base}_{i}"
        i += 1
    return candidate
