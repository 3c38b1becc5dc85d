"""`layer.quantize(mode)` and `model.quantize(mode)`: post-training quantization of the weights
of Dense, EinsumDense and Embedding layers, with Keras 3's meaning.

After `quantize`, a layer keeps its kernel (or embeddings) in int8 storage (two int4 values per
byte for "int4") next to float scales, its dtype policy is Keras's quantized policy
(`"int8_from_float32"`, `"int4/128_from_float32"`, ...) and its call runs the quantized path.
The variables carry Keras's names, shapes, dtypes and saving order, so `.keras` and
`.weights.h5` files of quantized models cross between Keras and lamina.

`QuantizableMixin` is what the three layers share: reading a quantized dtype policy given to
the constructor (or found in a config), writing it back in `get_config`, and saving the
variables in Keras's order. Each layer supplies `quantize`'s weight conversion
(`_quantize_weights`), `quantized_build` and its `_int8_call` / `_int4_call`.
"""

import re
import warnings

import torch

from lamina.quantizers.quantization_config import (Float8QuantizationConfig,
                                                   Int4QuantizationConfig,
                                                   Int8QuantizationConfig, QuantizationConfig)

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")
LAMINA_MODES = ("int8", "int4", "float8")  # the modes lamina's layers implement


# ---------------------------------------------------------------------------- arguments
def resolve_config(mode, config):
    """The QuantizationConfig for `quantize(mode, config)`: a default one for the mode when
    `config` is None; an error when they contradict each other or say nothing."""
    if isinstance(config, str):  # Keras accepts the mode passed as `config`
        mode, config = config, None
    _check_mode(mode)
    if config is None:
        if mode == "int8":
            return Int8QuantizationConfig()
        if mode == "int4":
            return Int4QuantizationConfig()
        if mode == "float8":
            return Float8QuantizationConfig()
        if mode in ("gptq", "awq"):
            raise ValueError(
                f"For {mode.upper()}, you must pass a `{'GPTQConfig' if mode == 'gptq' else 'AWQConfig'}` "
                "object in the `config` argument."
            )
        raise ValueError(
            "You must provide either `mode` or `config` to `quantize`: mode='int8' or 'int4', "
            "or a QuantizationConfig such as Int8QuantizationConfig()."
        )
    if not isinstance(config, QuantizationConfig):
        raise ValueError(
            "Argument `config` must be an instance of `QuantizationConfig` (e.g. "
            f"Int8QuantizationConfig()). Received: config={config!r} (of type "
            f"{type(config).__name__})"
        )
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    _check_mode(config.mode)
    return config


def _check_mode(mode):
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: "
            f"mode={mode}"
        )


def check_quantize_args(layer, mode):
    """Keras's refusals: an unbuilt layer, a layer quantized already, int8 with float16."""
    if not layer.built:
        raise ValueError(
            "Cannot quantize a layer that isn't yet built. "
            f"Layer '{layer.name}' (of type '{type(layer).__name__}') is not built yet. Build "
            "it first (call it on data, or model.build(input_shape))."
        )
    if getattr(layer, "_is_quantized", False):
        raise ValueError(
            f"Layer '{layer.name}' is already quantized with "
            f"dtype_policy='{layer.dtype_policy.name}'. Received: mode={mode}"
        )
    if mode == "int8" and layer.compute_dtype == "float16":
        raise ValueError(
            f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. "
            "Consider loading model/layer with another dtype policy such as "
            "'mixed_bfloat16' or 'mixed_float16' before calling `quantize()`."
        )


def quantize_layer(layer, mode=None, type_check=True, config=None):
    """`Layer.quantize`: check the arguments, then convert the layer's weights."""
    config = resolve_config(mode, config)
    mode = config.mode
    check_quantize_args(layer, mode)
    if getattr(layer, "lora_enabled", False):
        raise NotImplementedError(
            f"Layer '{layer.name}' has LoRA enabled; lamina quantizes float layers only. Save "
            "the fine-tuned model (files hold the merged kernel), rebuild it without "
            "`lora_rank`, load the weights, then quantize.")
    convert = getattr(layer, "_quantize_weights", None)
    if convert is None:
        raise NotImplementedError(
            f"Layer {type(layer).__name__} does not have a `quantize` method implemented.")
    if type_check and type(layer) not in layer._quantizable_classes():
        # A subclass may compute something else with the kernel: quantizing it silently could
        # change its results (Keras refuses too; type_check=False forces it).
        raise NotImplementedError(
            f"Layer {type(layer).__name__} does not have a `quantize` method implemented "
            f"(it subclasses {layer._quantizable_classes()[0].__name__}; pass "
            "type_check=False to quantize it as one)."
        )
    if mode not in LAMINA_MODES:
        raise NotImplementedError(
            f"lamina does not implement quantization mode {mode!r} yet (layer '{layer.name}'). "
            f"Supported modes: {LAMINA_MODES}."
        )
    with torch.no_grad():
        convert(mode, config)


def should_quantize_layer(layer, filters):
    """`filters`: a regex searched in the layer's name, a list of them, or a predicate."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(pattern, layer.name) for pattern in filters)
    return bool(filters(layer))


def quantize_model(model, mode=None, config=None, filters=None, **kwargs):
    """`Model.quantize`: quantize every leaf layer that can be (and that `filters` selects)."""
    type_check = kwargs.pop("type_check", True)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments passed to {type(model).__name__}: {kwargs}")
    if filters is not None and not isinstance(filters, (str, list, tuple)) and not callable(filters):
        raise ValueError(
            "The `filters` argument must be a regex string, a list of regex strings, or a "
            f"callable. Received: {type(filters)}"
        )
    config = resolve_config(mode, config)
    mode = config.mode
    if mode not in LAMINA_MODES:
        raise NotImplementedError(
            f"lamina does not implement quantization mode {mode!r} yet. Supported modes: "
            f"{LAMINA_MODES}."
        )
    if not model.built:
        raise ValueError(
            "Cannot quantize a layer that isn't yet built. "
            f"Layer '{model.name}' (of type '{type(model).__name__}') is not built yet. Build "
            "it first (call it on data, or model.build(input_shape))."
        )
    changed = False
    for layer in model._flatten_layers():
        if layer is model or len(layer._flatten_layers()) != 1:
            continue  # only leaves hold the weights
        if not should_quantize_layer(layer, filters):
            continue
        try:
            layer.quantize(mode, type_check=type_check, config=config)
            changed = True
        except NotImplementedError as error:
            # Keras warns for every layer it cannot quantize; a layer without weights
            # (InputLayer, Dropout, ...) has nothing to quantize, so lamina stays quiet there.
            if layer._own_weights():
                warnings.warn(str(error), stacklevel=3)
    if changed:
        _forget_compiled_steps(model)


def _forget_compiled_steps(model):
    """The training and inference steps built (or compiled) for the float model are stale."""
    for name in ("train_function", "test_function", "predict_function"):
        if name in model.__dict__:
            model.__dict__[name] = None


# ---------------------------------------------------------------------------- kernels
_FLOAT32_EXACT = 2 ** 24  # float32 holds every integer up to here exactly


def int8_matmul(a, b):
    """`a @ b` of two int8 tensors (a: (..., k), b: (k, n)), exact, as int32.

    torch._int_mm does it natively where it exists (CPU; CUDA for shapes it accepts); elsewhere
    the products are summed in float32 when no partial sum can exceed 2**24 (so the result is
    still exact), else in float64.
    """
    lead = a.shape[:-1]
    a2 = a.reshape(-1, a.shape[-1])
    k, n = b.shape
    if _int_mm_accepts(a2, b):
        out = torch._int_mm(a2, b)
    else:
        dtype = torch.float32 if k * 127 * 128 < _FLOAT32_EXACT else torch.float64
        out = torch.matmul(a2.to(dtype), b.to(dtype)).to(torch.int32)
    return out.reshape(*lead, n)


def _int_mm_accepts(a, b):
    if not hasattr(torch, "_int_mm") or a.device != b.device:
        return False
    if a.device.type == "cpu":
        return a.shape[0] > 0
    if a.device.type == "cuda":  # cuBLASLt's int8 GEMM: m > 16, k and n multiples of 8
        return a.shape[0] > 16 and a.shape[1] % 8 == 0 and b.shape[1] % 8 == 0
    return False


def int8_einsum(equation, a, b, summed):
    """`einsum(equation, a, b)` of two int8 tensors where each output sums `summed` products:
    exact, in float32 when no partial sum can exceed 2**24, else in float64."""
    dtype = torch.float32 if summed * 127 * 128 < _FLOAT32_EXACT else torch.float64
    return torch.einsum(equation, a.to(dtype), b.to(dtype))


def column_major(tensor):
    """`tensor` (2D) with the memory layout of its transpose: torch._int_mm on CPU is fastest
    with the right operand stored column by column."""
    return tensor.t().contiguous().t()


def dequantize_with_groups(values, scale, zero, g_idx, group_axis=-1):
    """`(values - zero[g]) * scale[g]` with `g = g_idx` picking each position's group along
    `group_axis` of `scale` and `zero` (Keras's sub-channel int4 layout)."""
    groups = g_idx.to(torch.int64)
    scales = torch.index_select(scale, group_axis % scale.ndim, groups)
    zeros = torch.index_select(zero, group_axis % zero.ndim, groups).to(scales.dtype)
    return (values - zeros) * scales


def quantized_kernel_values(kernel, mode, block_size, quantizer):
    """The variables of a quantized 2D (rows, columns) kernel, by name: int8 values and one
    scale per column; int4 values packed two per byte along the columns, with one scale per
    column (`quantizer`) or, with `block_size`, per group of rows with zero points. (Dense's
    kernel; EinsumDense's int4 kernel flattened to summed axes x the others.)"""
    from lamina import quantizers

    if mode == "int8":
        values, scale = quantizer(kernel, to_numpy=True)
        return {"kernel": values, "kernel_scale": scale.squeeze(0)}
    if block_size is None:
        values, scale = quantizer(kernel, to_numpy=True)
        result = {"kernel_scale": scale.squeeze(0)}
    else:
        values, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(
            kernel, block_size=block_size, to_numpy=True)
        result = {"kernel_scale": scale, "kernel_zero": zero}
    result["kernel"] = quantizers.pack_int4(values, axis=-1)[0]
    return result


# ---------------------------------------------------------------------------- the layers' share
class QuantizableMixin:
    """What Dense, EinsumDense and Embedding share for quantization (see the module doc).

    A subclass defines `_serialization_spec` (mode -> the names of its variables in Keras's
    saving order), `_quantize_weights(mode, config)`, `quantized_build(shape, mode, config)`.
    """

    _serialization_spec = {}

    def __init__(self, *args, dtype=None, **kwargs):
        policy = _quantized_policy(dtype)
        if policy is not None:  # the layer computes as the policy's source; weights quantized
            dtype = policy._source_name
        super().__init__(*args, dtype=dtype, **kwargs)
        if policy is not None:
            self.dtype_policy = policy

    @classmethod
    def _quantizable_classes(cls):
        """The class whose exact instances `quantize` accepts without type_check=False."""
        for klass in cls.__mro__:
            if QuantizableMixin in klass.__bases__:
                return (klass,)
        return (cls,)

    @property
    def variable_serialization_spec(self):
        """Mode -> this layer's variable names, in the order Keras saves them."""
        return dict(self._serialization_spec)

    def _set_quantized_policy(self, mode, config):
        """After quantize(): Keras's policy name, e.g. "int8_from_float32", "int4/128_from_...".
        (A layer built from a quantized policy keeps it.)"""
        from lamina.dtype_policies.quantized import policy_from_name

        if self.dtype_policy is not None and self.dtype_policy.quantization_mode is not None:
            return
        name = mode
        if mode == "int4":
            block_size = int4_block_size(self, config)
            name = f"int4/{-1 if block_size is None else block_size}"
        self.dtype_policy = policy_from_name(f"{name}_from_{self.dtype_policy.name}")

    def _drop_weight(self, attribute):
        """Forget the float weight `attribute` (its quantized replacement takes its name)."""
        old = getattr(self, attribute, None)
        if old is not None:
            self._tracked_variables = [v for v in self._tracked_variables if v is not old]
            delattr(self, attribute)

    def _add_frozen_weight(self, attribute, shape, dtype, initializer="zeros"):
        """A non-trainable weight named `attribute` (quantized values, scales, zero points)."""
        variable = self.add_weight(name=attribute, shape=tuple(shape), dtype=dtype,
                                   initializer=initializer, trainable=False)
        setattr(self, attribute, variable)
        return variable

    def _assign_quantized(self, **values):
        for attribute, value in values.items():
            variable = getattr(self, attribute)
            variable.copy_(torch.as_tensor(value).to(device=variable.device, dtype=variable.dtype))

    @staticmethod
    def _straight_through(outputs, inputs, float_kernel_fn, float_fn):
        """The quantized `outputs`, with the gradient towards `inputs` of the float computation
        on the dequantized kernel (Keras's custom gradient). Costs nothing without autograd."""
        if not (torch.is_grad_enabled() and isinstance(inputs, torch.Tensor)
                and inputs.requires_grad):
            return outputs
        reference = float_fn(inputs, float_kernel_fn())
        return outputs.detach() + (reference - reference.detach())

    # -------------------------------------------------------------- config
    def _with_quantized_dtype(self, config):
        """Keras writes a quantized layer's dtype as its quantized policy's config dict."""
        from lamina.registry.serialization import serialize_keras_object

        policy = self.dtype_policy
        if policy is not None and policy.quantization_mode is not None:
            config["dtype"] = serialize_keras_object(policy)
        config["quantization_config"] = serialize_keras_object(
            getattr(self, "quantization_config", None))
        return config

    @classmethod
    def from_config(cls, config):
        from lamina.quantizers.serialization import deserialize

        config = dict(config)
        quantization_config = config.pop("quantization_config", None)
        if isinstance(quantization_config, dict):
            quantization_config = deserialize(quantization_config)
        policy = _quantized_policy(config.get("dtype"))
        if policy is not None:
            config["dtype"] = policy
        layer = super().from_config(config)
        layer.quantization_config = quantization_config
        return layer

    def _on_dtype_change(self, old, new):
        """`.double()` / `.half()` on a quantized layer: its float parts follow, it stays
        quantized (the policy becomes e.g. "int8_from_float64")."""
        from lamina.dtype_policies.quantized import policy_from_name

        policy = self.dtype_policy
        super()._on_dtype_change(old, new)
        if policy is not None and policy.quantization_mode is not None:
            mode = policy.name.split("_from_")[0]
            self.dtype_policy = policy_from_name(f"{mode}_from_{self.dtype_policy.name}")

    # -------------------------------------------------------------- saving (Keras's order)
    # The weights file walk calls a layer's save/load_own_variables when it has them. A float
    # layer keeps lamina's generic walk (and its `skip_mismatch` reporting): the two properties
    # raise AttributeError, so `hasattr` is False, until the layer is quantized.
    # A layer with LoRA enabled uses this walk too: it saves the merged matrix (Keras's layout).
    @property
    def save_own_variables(self):
        if self.quantization_mode is None and not getattr(self, "lora_enabled", False):
            raise AttributeError("save_own_variables")
        return self._save_quantized_variables

    @property
    def load_own_variables(self):
        if self.quantization_mode is None and not getattr(self, "lora_enabled", False):
            raise AttributeError("load_own_variables")
        return self._load_quantized_variables

    def _saved_variables(self):
        mode = self.quantization_mode
        if mode not in self._serialization_spec:
            raise NotImplementedError(
                f"Layer '{self.name}' ({type(self).__name__}) cannot save or load quantization "
                f"mode {mode!r}: lamina implements {sorted(m for m in self._serialization_spec if m)}."
            )
        variables = []
        for name in self._serialization_spec[mode]:
            variable = getattr(self, name, None)
            if isinstance(variable, torch.Tensor):
                variables.append((name, variable))
        return variables

    def _save_quantized_variables(self, store):
        from lamina.variables import to_numpy

        if not self.built:
            return
        # With LoRA, the frozen matrix (and its scales) merged with the low-rank update.
        merged = self._lora_saved_values() if getattr(self, "lora_enabled", False) else {}
        for index, (name, variable) in enumerate(self._saved_variables()):
            store[str(index)] = to_numpy(merged.get(name, variable))

    def _load_quantized_variables(self, store):
        from lamina.variables import assign_full

        if not self.built:
            return
        variables = self._saved_variables()
        if len(store) != len(variables):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}, quantized with "
                f"{self.dtype_policy.name}) expects {len(variables)} variables "
                f"({', '.join(n for n, _ in variables)}), but the file holds {len(store)}. "
                "Build the model with the same quantization (dtype policy and "
                "quantization_config) as the saved one."
            )
        for index, (name, variable) in enumerate(variables):
            value = store[str(index)]
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"Layer '{self.name}' variable '{name}' has shape {tuple(variable.shape)}, "
                    f"but the file holds shape {tuple(value.shape)}."
                )
            assign_full(variable, value)
        if getattr(self, "lora_enabled", False):  # the file's matrix is merged: no update left
            for name in self._lora_factors:
                getattr(self, name).data.zero_()


def int4_block_size(layer, config):
    """Rows per int4 scale group, None for one scale per channel: from the config when quantizing,
    from the Int4DTypePolicy name ("int4/128_from_float32") when built from a file."""
    from lamina.dtype_policies.quantized import Int4DTypePolicy

    if isinstance(config, Int4QuantizationConfig):
        block_size = config.block_size
    elif isinstance(layer.dtype_policy, Int4DTypePolicy):
        block_size = layer.dtype_policy.block_size
    else:
        block_size = None
    return None if block_size in (None, -1) else block_size


def _quantized_policy(dtype):
    """The quantized dtype policy `dtype` names (object, name or config dict), else None."""
    from lamina.mixed_precision.policy import DTypePolicy

    if isinstance(dtype, DTypePolicy):
        return dtype if dtype.quantization_mode is not None else None
    if isinstance(dtype, str) and dtype.startswith(QUANTIZATION_MODES):
        from lamina.dtype_policies.quantized import policy_from_name

        return policy_from_name(dtype)
    if isinstance(dtype, dict) and dtype.get("class_name") not in (
            None, "DTypePolicy", "FloatDTypePolicy", "Policy"):
        from lamina.dtype_policies import deserialize

        policy = deserialize(dtype)
        return policy if policy.quantization_mode is not None else None
    if isinstance(dtype, dict):
        name = (dtype.get("config") or {}).get("name", dtype.get("name"))
        return _quantized_policy(name) if isinstance(name, str) else None
    return None
