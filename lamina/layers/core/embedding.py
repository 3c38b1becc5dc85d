"""Embedding: integer indices -> dense vectors, looked up in an (input_dim, output_dim) table."""

import math

import torch
import torch.nn.functional as F

from lamina import constraints, initializers, regularizers
from lamina.layers.core.lora import LoraMixin
from lamina.layers.layer import Layer
from lamina.quantizers import layer_quantization as lq
from lamina.registry.export import keras_export
from lamina.registry.serialization import serialize_keras_object
from lamina.utils.arguments import rename_legacy_kwargs, warn_deprecated


@keras_export("layers.Embedding")
class Embedding(LoraMixin, lq.QuantizableMixin, Layer):
    """A table of `input_dim` vectors of size `output_dim`, looked up by integer id.

    `quantize("int8")` keeps the table in int8 with one scale per row (`embeddings_scale`,
    shape (input_dim,)); `quantize("int4")` packs it two values per byte along the vector, with
    per-group scales and zero points along the vector when the config's `block_size` is set.
    """

    _accepts_integers = True  # ids: never cast to floats
    _lora_target = "embeddings"
    _lora_factors = ("lora_embeddings_a", "lora_embeddings_b")
    _serialization_spec = {None: ("embeddings",), "int8": ("embeddings", "embeddings_scale"),
                           "int4": ("embeddings", "embeddings_scale", "embeddings_zero",
                                    "g_idx")}

    def __init__(self, input_dim=None, output_dim=None, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        rename_legacy_kwargs(kwargs, {"init": "embeddings_initializer",
                                      "W_regularizer": "embeddings_regularizer",
                                      "W_constraint": "embeddings_constraint"}, "Embedding()")
        embeddings_initializer = kwargs.pop("embeddings_initializer", embeddings_initializer)
        embeddings_regularizer = kwargs.pop("embeddings_regularizer", embeddings_regularizer)
        embeddings_constraint = kwargs.pop("embeddings_constraint", embeddings_constraint)
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warn_deprecated("input_length=", "an `Input(shape=(input_length,))` layer",
                            "Embedding()")
            kwargs.setdefault("input_shape", (input_length,))
        if "dropout" in kwargs:  # Keras 1 (word dropout); Keras 2 dropped it with this warning
            kwargs.pop("dropout")
            warn_deprecated("dropout=", "a `SpatialDropout1D(rate)` layer after the Embedding "
                            "(`dropout` of Keras 1's Embedding has no effect here)",
                            "Embedding()")
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"Embedding() needs a positive integer `{arg}`. Received: {arg}={value!r}"
                )
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._initial_weights = weights
        self._input_length = input_length
        self.quantization_config = quantization_config

    def build(self, input_shape=None):
        if self.quantization_mode is not None:  # built from a quantized policy (a saved model)
            self.quantized_build((self.input_dim, self.output_dim), self.quantization_mode,
                                 self.quantization_config)
        else:
            self.embeddings = self.add_weight(
                shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
                name="embeddings", regularizer=self.embeddings_regularizer,
                constraint=self.embeddings_constraint,
            )
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self._build_lora()

    def call(self, inputs):
        if inputs.is_floating_point():
            inputs = inputs.long()
        elif inputs.dtype != torch.int64 and inputs.dtype != torch.int32:
            inputs = inputs.long()
        if inputs.device.type not in ("cpu", "meta") and self._device_checks_left > 0:
            # A bad id on a GPU is a device-side assert that kills the CUDA context; checking
            # costs a synchronisation, so only the first calls pay it (where a wrong vocabulary
            # size shows up).
            self._device_checks_left -= 1
            if inputs.numel() and bool(((inputs < 0) | (inputs >= self.input_dim)).any()):
                self._raise_out_of_range(inputs)
        try:
            if self.quantization_mode is not None:
                return self._quantized_lookup(inputs)
            return F.embedding(inputs, self._merged_matrix() if self.lora_enabled
                               else self.embeddings)
        except IndexError:  # CPU: checked by torch for free
            self._raise_out_of_range(inputs)

    _device_checks_left = 10

    def _raise_out_of_range(self, inputs):
        bad = inputs[(inputs < 0) | (inputs >= self.input_dim)]
        raise ValueError(
            f'Layer "{self.name}" (Embedding) received the id {int(bad[0])}, outside '
            f"[0, input_dim={self.input_dim}) ({bad.numel()} such ids in this batch, largest "
            f"{int(inputs.max())}). Set `input_dim` to the vocabulary size (largest id + 1), or "
            "map unknown tokens to an id the vocabulary has (an out-of-vocabulary id)."
        ) from None

    def _autocast(self, x):
        return x  # indices stay integers

    def compute_mask(self, inputs, mask=None):
        return None if not self.mask_zero else inputs != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": serialize_keras_object(self.embeddings_initializer),
            "embeddings_regularizer": serialize_keras_object(self.embeddings_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "embeddings_constraint": serialize_keras_object(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }
        return self._lora_config(self._with_quantized_dtype(config))

    # ------------------------------------------------------------------ quantization
    def _quantize_weights(self, mode, config):
        from lamina import quantizers

        self.quantization_config = config
        table = self.embeddings.detach()
        if mode == "int8":
            quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
                config, quantizers.AbsMaxQuantizer(axis=-1))
            values, scale = quantizer(table, to_numpy=True)
            assign = {"embeddings": values, "embeddings_scale": scale.squeeze(-1)}
        else:  # int4: packed along the vectors, groups along the vectors
            block_size = lq.int4_block_size(self, config)
            if block_size is None:
                quantizer = quantizers.QuantizationConfig.weight_quantizer_or_default(
                    config, quantizers.AbsMaxQuantizer(axis=-1, value_range=(-8, 7)))
                values, scale = quantizer(table, to_numpy=True)
                assign = {"embeddings_scale": scale.squeeze(-1)}
            else:
                values, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(
                    table.t(), block_size=block_size, to_numpy=True)
                values = values.t()
                assign = {"embeddings_scale": scale.t(), "embeddings_zero": zero.t()}
            assign["embeddings"] = quantizers.pack_int4(values.contiguous(), axis=-1)[0]
        self._drop_weight("embeddings")
        self.quantized_build(tuple(table.shape), mode, config)
        self._assign_quantized(**assign)
        self._set_quantized_policy(mode, config)

    def quantized_build(self, embeddings_shape, mode, config=None):
        """The quantized variables (Keras's names, shapes and dtypes), zero until assigned."""
        if mode not in ("int8", "int4"):
            raise NotImplementedError(
                "Invalid quantization mode. Expected one of ('int8', 'int4'). Received: "
                f"quantization_mode={mode} (layer '{self.name}')"
            )
        input_dim, output_dim = embeddings_shape
        if mode == "int8":
            self._add_frozen_weight("embeddings", embeddings_shape, torch.int8)
            self._add_frozen_weight("embeddings_scale", (input_dim,), self.dtype, "ones")
        else:
            self._add_frozen_weight("embeddings", (input_dim, (output_dim + 1) // 2), torch.int8)
            block_size = self._int4_block_size = lq.int4_block_size(self, config)
            groups = None if block_size is None else math.ceil(output_dim / block_size)
            scale_shape = (input_dim,) if groups is None else (input_dim, groups)
            self._add_frozen_weight("embeddings_scale", scale_shape, self.dtype, "ones")
            if groups is not None:
                self._add_frozen_weight("embeddings_zero", scale_shape, torch.int8)
                self._add_frozen_weight("g_idx", (output_dim,), torch.float32)
                self.g_idx.copy_(torch.div(torch.arange(output_dim, dtype=torch.float32),
                                           block_size, rounding_mode="floor"))
        self._is_quantized = True

    def _quantized_lookup(self, ids):
        """Rows of the quantized table for `ids`, dequantized (only the rows looked up)."""
        from lamina.quantizers import unpack_int4

        rows = self.embeddings[ids]
        scale = self.embeddings_scale[ids]
        compute = self.embeddings_scale.dtype
        if self.quantization_mode == "int8":
            return rows.to(compute) / scale.unsqueeze(-1)
        rows = unpack_int4(rows, self.output_dim, axis=-1).to(compute)
        if getattr(self, "_int4_block_size", None) is None:
            return rows / scale.unsqueeze(-1)
        return lq.dequantize_with_groups(rows, scale, self.embeddings_zero[ids], self.g_idx,
                                         group_axis=-1)
