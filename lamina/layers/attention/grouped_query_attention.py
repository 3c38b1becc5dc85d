"""GroupQueryAttention (Ainslie et al., 2023): attention where groups of query heads share one
key/value head. `num_key_value_heads=1` is multi-query attention, `num_key_value_heads ==
num_query_heads` is ordinary multi-head attention.

Weights are Keras's: EinsumDense-shaped projections named `query` `(features, query_heads,
head_dim)`, `key` and `value` `(features, kv_heads, head_dim)`, optionally `gate` (like
`query`), and `attention_output` `(query_heads, head_dim, features)`, with biases
`(heads, head_dim)` / `(features,)`, in that order in `weights`.

The attention runs on `lamina.ops.dot_product_attention` (PyTorch's fused kernels when there is
no mask) unless the scores are asked for or dropout is on; then the scores are computed
explicitly, as Keras does, and rows with nothing to attend to give zeros instead of a uniform
average.
"""

import contextlib
import math

import numpy as np
import torch

from lamina import constraints, initializers, regularizers
from lamina.layers.attention.head_projection import HeadProjection
from lamina.layers import layer as layer_module
from lamina.layers.layer import Layer
from lamina.layers.regularization.dropout import Dropout
from lamina.ops import nn as nn_ops
from lamina.registry.export import keras_export
from lamina.registry.serialization import serialize_keras_object
from lamina.symbolic import keras_tensor as kt
from lamina.utils import naming


@keras_export("layers.GroupQueryAttention")
class GroupQueryAttention(Layer):
    """Grouped-query attention.

    Args:
        head_dim: size of each attention head.
        num_query_heads: number of query heads.
        num_key_value_heads: number of key/value heads; must divide `num_query_heads`.
        dropout: dropout rate on the attention probabilities.
        use_bias: whether the projections have biases.
        sliding_window: None, or a positive integer: each query position only attends to key
            positions less than `sliding_window` away (with `use_causal_mask=True`: the causal
            sliding window of Mistral-style models).
        flash_attention: None (PyTorch picks its kernel), True (require the flash kernel) or
            False (never use it).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: for the projections.
        use_gate: multiply the attention output by `sigmoid(gate(query))` before the output
            projection (gated attention).
        seed: seed of the dropout.

    Call arguments:
        query: `(batch, target_length, features)`.
        value: `(batch, source_length, value_features)`.
        key: optional `(batch, source_length, key_features)`; defaults to `value`.
        attention_mask: boolean `(batch, target_length, source_length)`, True = may attend.
        return_attention_scores: also return the scores `(batch, query_heads, target, source)`.
        training: whether dropout is applied.
        use_causal_mask: let each position attend only to itself and earlier positions.

    Example:
        layer = GroupQueryAttention(head_dim=16, num_query_heads=8, num_key_value_heads=2)
        y = layer(x, x)  # x: (batch, time, features) -> y: same shape
    """

    # Keras's Python class is `GroupedQueryAttention` (public as GroupQueryAttention): its
    # default layer names and its paths in weight files use that name.
    _keras_source_class_name = "GroupedQueryAttention"

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        # A kernel choice, not part of the model: Keras takes it but does not save it.
        flash_attention = kwargs.pop("flash_attention", None)
        if kwargs.get("name") is None:  # Keras names it after its Python class
            kwargs["name"] = naming.unique_name("grouped_query_attention")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for name, value in (("head_dim", head_dim), ("num_query_heads", num_query_heads),
                            ("num_key_value_heads", num_key_value_heads)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"GroupQueryAttention needs `{name}` as a positive integer. Received: "
                    f"{name}={value!r}"
                )
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                "`num_query_heads` must be divisible by `num_key_value_heads`. Received: "
                f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}"
            )
        if sliding_window is not None and (isinstance(sliding_window, bool) or not isinstance(
                sliding_window, int) or sliding_window <= 0):
            raise ValueError(
                "`sliding_window` must be None or a positive integer. Received: "
                f"sliding_window={sliding_window!r}"
            )
        if flash_attention and dropout > 0.0:
            raise ValueError(
                "Dropout is not supported with flash attention: pass dropout=0.0 or "
                f"flash_attention=None. Received: dropout={dropout}, "
                f"flash_attention={flash_attention}"
            )
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = dropout
        self.use_bias = use_bias
        self.use_gate = use_gate
        self.sliding_window = sliding_window
        self._flash_attention = flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))

    # ------------------------------------------------------------------ building
    def _call_pipeline(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise ValueError(
                f'Layer "{self.name}" (GroupQueryAttention) needs `value`: call it as '
                "layer(query, value) (self-attention: layer(x, x))."
            )
        value, key = (_as_tensor(x, self._torch_dtype) for x in (value, key))
        if not self.built:
            shapes = {"query_shape": tuple(query.shape), "value_shape": tuple(value.shape)}
            if key is not None:
                shapes["key_shape"] = tuple(key.shape)
            self._build_shapes = shapes
            self._build_with_shapes(shapes)
            if isinstance(query, torch.Tensor) and query.device.type not in ("cpu", "meta"):
                self.to(query.device)
        return super()._call_pipeline(query, value, key, **kwargs)

    def build(self, query_shape, value_shape=None, key_shape=None):
        if isinstance(query_shape, dict):  # Keras's `shapes_dict` form
            query_shape, value_shape, key_shape = (
                query_shape.get("query_shape"), query_shape.get("value_shape"),
                query_shape.get("key_shape"))
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self.feature_dim = query_shape[-1]
        query_heads = (self.num_query_heads, self.head_dim)
        kv_heads = (self.num_key_value_heads, self.head_dim)
        stack = layer_module._scope_stack()
        # Weights are named `<this layer>/query/kernel` even when `build` is called directly.
        scope = contextlib.nullcontext() if stack and stack[-1] is self else \
            layer_module.name_scope(self)
        with scope:  # created in Keras's order, which is the order of `weights`
            self._query_dense = self._projection(False, query_heads, "query", query_shape)
            self._key_dense = self._projection(False, kv_heads, "key", key_shape)
            if self.use_gate:
                self._gate_dense = self._projection(False, query_heads, "gate", query_shape)
            self._value_dense = self._projection(False, kv_heads, "value", value_shape)
            self._output_dense = self._projection(True, (self.feature_dim,), "attention_output",
                                                  (None, None) + query_heads)
        self._dropout_layer = Dropout(rate=self.dropout, seed=self.seed, dtype=self.dtype)
        self.built = True

    def _projection(self, heads_in, output_shape, name, input_shape):
        def fresh(initializer):  # each projection gets its own initializer object, as in Keras
            if hasattr(initializer, "get_config"):
                return type(initializer).from_config(initializer.get_config())
            return initializer

        layer = HeadProjection(
            heads_in, output_shape, use_bias=self.use_bias, name=name,
            kernel_initializer=fresh(self.kernel_initializer),
            bias_initializer=fresh(self.bias_initializer),
            kernel_regularizer=self.kernel_regularizer, bias_regularizer=self.bias_regularizer,
            kernel_constraint=self.kernel_constraint, bias_constraint=self.bias_constraint,
            activity_regularizer=self.activity_regularizer, dtype=self.dtype)
        layer._build_with_shapes(tuple(input_shape))
        return layer

    def get_build_config(self):
        if self._build_shapes is None:
            return None
        shapes = self._build_shapes
        if not isinstance(shapes, dict):
            shapes = {"query_shape": shapes}
        return {"shapes_dict": {k: list(v) for k, v in shapes.items()}}

    def build_from_config(self, build_config):
        if not build_config or self.built:
            return
        shapes = build_config.get("shapes_dict") or {"query_shape": build_config["input_shape"]}
        shapes = {k: tuple(v) for k, v in shapes.items() if v is not None}
        self._build_shapes = shapes
        self._build_with_shapes(shapes)

    # ------------------------------------------------------------------ the call
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if query_mask is None:
            query_mask = getattr(query, "_keras_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key is None:
            key = value
        elif key_mask is None:
            key_mask = getattr(key, "_keras_mask", None)
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                "Returning attention scores is not supported with flash attention: pass "
                "flash_attention=None (or False) to get the scores."
            )
        # Causal masking alone is a flag of the fused kernel; anything else needs a mask.
        causal_only = use_causal_mask and self.sliding_window is None and all(
            m is None for m in (query_mask, value_mask, key_mask, attention_mask))
        if not causal_only:
            attention_mask = self._combined_mask(query, value, query_mask, value_mask, key_mask,
                                                 attention_mask, use_causal_mask)
        gate = torch.sigmoid(self._gate_dense(query)) if self.use_gate else None
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        explicit = self.dropout > 0.0 or return_attention_scores
        if explicit:
            output, scores = self._explicit_attention(query, key, value, attention_mask,
                                                      causal_only, training)
        else:
            output, scores = nn_ops.dot_product_attention(
                query, key, value, mask=_heads_axis(attention_mask),
                scale=self._inverse_sqrt_head_dim, is_causal=causal_only,
                flash_attention=self._flash_attention), None
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        return (output, scores) if return_attention_scores else output

    def _combined_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                       use_causal_mask):
        """Keras's mask `(batch, target, source)`: True where a query may attend a key."""
        mask = None
        if query_mask is not None:
            mask = query_mask.bool().unsqueeze(-1)
        for source_mask in (value_mask, key_mask):
            if source_mask is not None:
                source_mask = source_mask.bool().unsqueeze(-2)
                mask = source_mask if mask is None else mask & source_mask
        target, source = query.shape[1], value.shape[1]
        rows = torch.arange(target, device=query.device).reshape(1, target, 1)
        cols = torch.arange(source, device=query.device).reshape(1, 1, source)
        if use_causal_mask:
            mask = rows >= cols if mask is None else mask & (rows >= cols)
        if self.sliding_window is not None:
            band = torch.abs(rows - cols) < self.sliding_window
            mask = band if mask is None else mask & band
        if mask is not None and attention_mask is not None:
            return torch.as_tensor(attention_mask, device=query.device).bool() & mask
        if attention_mask is not None:
            return torch.as_tensor(attention_mask, device=query.device)
        return mask

    def _explicit_attention(self, query, key, value, mask, causal, training):
        """Scores computed and returned: `(batch, query_heads, target, source)`."""
        key = key.repeat_interleave(self.num_repeats, dim=2)
        value = value.repeat_interleave(self.num_repeats, dim=2)
        if causal:
            target, source = query.shape[1], key.shape[1]
            mask = torch.ones((1, target, source), dtype=torch.bool,
                              device=query.device).tril()
        query = query * self._inverse_sqrt_head_dim
        scores = torch.einsum("bquh,bkuh->buqk", query, key)
        mask = _heads_axis(mask)
        if mask is not None:
            mask = mask.bool()
            scores = scores.masked_fill(~mask, -3e4 if scores.dtype == torch.float16 else -1e9)
        scores = torch.softmax(scores, dim=-1)
        if mask is not None:
            scores = scores.masked_fill(~mask, 0.0)  # rows with nothing to attend to: zeros
        weights = self._dropout_layer(scores, training=training) if self.dropout > 0 else scores
        return torch.einsum("buqk,bkuh->bquh", weights, value), scores

    # ------------------------------------------------------------------ shapes
    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if isinstance(query_shape, dict):  # the build shapes, as `layer.output_shape` passes
            query_shape = query_shape["query_shape"]
        return tuple(query_shape)

    def compute_output_spec(self, query, value=None, key=None, return_attention_scores=False,
                            **kwargs):
        output = kt.KerasTensor(tuple(query.shape), self.dtype)
        if not return_attention_scores:
            return output
        source = value if key is None else key
        scores_shape = (query.shape[0], self.num_query_heads, query.shape[1], source.shape[1])
        return output, kt.KerasTensor(scores_shape, self.dtype)

    # ------------------------------------------------------------------ config
    def get_config(self):
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": serialize_keras_object(self.kernel_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
            "seed": self.seed,
        }


def _heads_axis(mask):
    """A `(batch, target, source)` mask broadcast over the heads: `(batch, 1, target, source)`."""
    if mask is None:
        return None
    while mask.dim() < 4:
        mask = mask.unsqueeze(-3)
    return mask


def _as_tensor(x, dtype):
    """NumPy data passed as `value`/`key` becomes a tensor, as the query does in Layer.__call__."""
    if x is None or isinstance(x, (torch.Tensor, kt.KerasTensor)):
        return x
    return torch.as_tensor(np.asarray(x), dtype=dtype)
