"""MultiHeadAttention (Vaswani et al., 2017), with Keras's weights, masks and attention axes.

Projections: query/key/value kernels `(features, heads, key_dim|value_dim)` with biases
`(heads, dim)`, output kernel `(heads, value_dim, *output_shape)` — Keras's EinsumDense layouts,
in Keras's `weights` order (query, key, value, attention_output).

The attention itself moves the attention axes next to each other, flattens them into one
sequence axis, and hands `(..., heads, sequence, dim)` to torch's fused
`scaled_dot_product_attention`; only `return_attention_scores=True` computes the scores
explicitly, since the fused kernel never materializes them.

Masks (`True` = attend): `attention_mask` `(batch, target, source)`, the `_keras_mask` of query,
value and key (e.g. from `Embedding(mask_zero=True)`), and `use_causal_mask` are combined as
Keras combines them. A query row with nothing to attend to gives what Keras gives: a uniform
average on Keras's fused path (rank-3 inputs, no dropout, no scores requested), zeros otherwise.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from lamina import constraints, initializers, regularizers
from lamina.layers.attention.attention import mask_tensor as _mask_tensor
from lamina.layers.attention.head_projection import HeadProjection
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.registry.serialization import serialize_keras_object
from lamina.symbolic import keras_tensor as kt
from lamina.utils.arguments import check_rate


@keras_export("layers.MultiHeadAttention")
class MultiHeadAttention(Layer):
    def __init__(self, num_heads=None, key_dim=None, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        for unsupported in ("flash_attention", "sliding_window", "use_gate"):
            if kwargs.get(unsupported) not in (None, False):
                raise NotImplementedError(
                    f"MultiHeadAttention({unsupported}=...) is not supported by lamina yet."
                )
            kwargs.pop(unsupported, None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for name, value, optional in (("num_heads", num_heads, False), ("key_dim", key_dim, False),
                                      ("value_dim", value_dim, True)):
            if (value is None and optional) or (isinstance(value, int) and value > 0 and
                                                not isinstance(value, bool)):
                continue
            raise ValueError(
                f"MultiHeadAttention() needs `{name}` as a positive integer. Received: "
                f"{name}={value!r}"
            )
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim or key_dim
        self._dropout = check_rate(dropout, "dropout", "MultiHeadAttention()")
        self._use_bias = bool(use_bias)
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        self._output_shape = tuple(output_shape) if output_shape else None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                "`attention_axes` must be an int, a list or a tuple of axes. Received: "
                f"attention_axes={attention_axes!r}"
            )
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._scale = 1.0 / math.sqrt(float(key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)

    # ------------------------------------------------------------------ building
    def _call_pipeline(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise ValueError(
                f'Layer "{self.name}" (MultiHeadAttention) needs `value`: call it as '
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
                query_shape.get("key_shape"),
            )
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        query_shape = tuple(query_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        common = self._sublayer_arguments()
        heads = self._num_heads
        self._query_dense = HeadProjection(False, (heads, self._key_dim), name="query", **common)
        self._key_dense = HeadProjection(False, (heads, self._key_dim), name="key", **common)
        self._value_dense = HeadProjection(False, (heads, self._value_dim), name="value",
                                           **common)
        output_shape = self._output_shape or (query_shape[-1],)
        self._output_dense = HeadProjection(True, output_shape, name="attention_output",
                                            **common)
        self._query_dense._build_with_shapes(query_shape)
        self._key_dense._build_with_shapes(key_shape)
        self._value_dense._build_with_shapes(value_shape)
        self._output_dense._build_with_shapes(query_shape[:-1] + (heads, self._value_dim))
        rank = len(query_shape) + 1  # rank of the projected query (..., heads, key_dim)
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else rank - 1 + a
                                         for a in self._attention_axes)
        self.built = True

    def _sublayer_arguments(self):
        def fresh(initializer):  # each projection gets its own initializer object, as in Keras
            if hasattr(initializer, "get_config"):
                return type(initializer).from_config(initializer.get_config())
            return initializer

        return dict(use_bias=self._use_bias,
                    kernel_initializer=fresh(self._kernel_initializer),
                    bias_initializer=fresh(self._bias_initializer),
                    kernel_regularizer=self._kernel_regularizer,
                    bias_regularizer=self._bias_regularizer,
                    kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype)

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

    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

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
        # Causal masking alone is a flag of the fused kernel; anything else needs a mask tensor.
        causal_only = use_causal_mask and not return_attention_scores and all(
            m is None for m in (query_mask, value_mask, key_mask, attention_mask)
        )
        if not causal_only:
            attention_mask = self._combined_mask(query, value, query_mask, value_mask, key_mask,
                                                 attention_mask, use_causal_mask)
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        output, scores = self._attend(query, key, value, attention_mask, causal_only, training,
                                      return_attention_scores)
        output = self._output_dense(output)
        return (output, scores) if return_attention_scores else output

    def _combined_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                       use_causal_mask):
        # (masks may come as numpy arrays or lists, as Keras accepts them)
        query_mask, value_mask, key_mask, attention_mask = (
            _mask_tensor(m, query.device) for m in (query_mask, value_mask, key_mask,
                                                  attention_mask))
        mask = None
        if query_mask is not None:
            mask = query_mask.bool().unsqueeze(-1)  # (batch, target, 1)
        for source_mask in (value_mask, key_mask):
            if source_mask is not None:
                source_mask = source_mask.bool().unsqueeze(-2)  # (batch, 1, source)
                mask = source_mask if mask is None else mask & source_mask
        if use_causal_mask:
            causal = _causal_mask(query.shape[1], value.shape[1], query.device)
            mask = causal if mask is None else mask & causal
        if attention_mask is not None:
            attention_mask = attention_mask.bool()
            mask = attention_mask if mask is None else attention_mask & mask
        return mask

    def _attend(self, query, key, value, mask, causal, training, return_scores):
        """`query` `(batch, *dims, heads, key_dim)` etc. -> output like query with value_dim."""
        rank = query.ndim
        axes = self._attention_axes
        batch_axes = [a for a in range(rank - 1) if a not in axes]  # includes the heads axis
        order = batch_axes + list(axes) + [rank - 1]
        batch_shape = [query.shape[a] for a in batch_axes]
        target_dims = [query.shape[a] for a in axes]
        source_dims = [key.shape[a] for a in axes]
        q = query.permute(order).reshape(*batch_shape, -1, query.shape[-1])
        k = key.permute(order).reshape(*batch_shape, -1, key.shape[-1])
        v = value.permute(order).reshape(*batch_shape, -1, value.shape[-1])
        if mask is not None:
            mask = self._mask_for_scores(mask, batch_shape, target_dims, source_dims)
        dropout = self._dropout if training else 0.0
        keras_fused = rank == 4 and self._dropout == 0 and not return_scores
        if return_scores:
            output, scores = self._explicit_attention(q, k, v, mask, dropout)
            scores = scores.reshape(*batch_shape, *target_dims, *source_dims)
        else:
            output, scores = self._fused_attention(q, k, v, mask, causal, dropout,
                                                   zero_empty_rows=not keras_fused), None
        output = output.reshape(*batch_shape, *target_dims, output.shape[-1])
        return output.permute(_inverse(order)), scores

    def _mask_for_scores(self, mask, batch_shape, target_dims, source_dims):
        """Keras broadcasts the mask from the left of the attention axes (over the heads)."""
        full_rank = len(batch_shape) + 2 * len(target_dims)
        while mask.ndim < full_rank:
            mask = mask.unsqueeze(-2 * len(target_dims) - 1)
        if len(target_dims) == 1:
            return mask
        mask = mask.expand(*batch_shape, *target_dims, *source_dims)
        return mask.reshape(*batch_shape, math.prod(target_dims), math.prod(source_dims))

    def _fused_attention(self, q, k, v, mask, causal, dropout, zero_empty_rows):
        bias = None
        if mask is not None:
            # An additive bias rather than a boolean mask: a row with nothing to attend to
            # then averages uniformly (Keras's fused path) instead of giving NaN.
            bias = torch.zeros(mask.shape, dtype=q.dtype, device=q.device).masked_fill(
                ~mask, _large_negative(q.dtype))
        output = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout,
                                                is_causal=causal, scale=self._scale)
        if zero_empty_rows and mask is not None:
            output = output * mask.any(dim=-1, keepdim=True).to(output.dtype)
        return output

    def _explicit_attention(self, q, k, v, mask, dropout):
        scores = (q * self._scale) @ k.transpose(-1, -2)
        if mask is not None:
            scores = scores.masked_fill(~mask, -3e4 if q.dtype == torch.float16 else -1e9)
        scores = torch.softmax(scores, dim=-1)
        if mask is not None:
            scores = scores.masked_fill(~mask, 0.0)  # rows with nothing to attend to: zeros
        weights = F.dropout(scores, dropout, True) if dropout > 0 else scores
        return weights @ v, scores

    # ------------------------------------------------------------------ shapes
    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if isinstance(query_shape, dict):  # the build shapes, as `layer.output_shape` passes
            query_shape = query_shape["query_shape"]
        query_shape = tuple(query_shape)
        if self._output_shape:
            return query_shape[:-1] + self._output_shape
        return query_shape

    def compute_output_spec(self, query, value=None, key=None, return_attention_scores=False,
                            **kwargs):
        output = kt.KerasTensor(self.compute_output_shape(query.shape), self.dtype)
        if not return_attention_scores:
            return output
        rank = len(query.shape) + 1
        source = value if key is None else key
        batch_axes = [a for a in range(rank - 1) if a not in self._attention_axes]
        projected = tuple(query.shape) + (None,)  # the heads axis sits at rank - 2
        shape = [self._num_heads if a == rank - 2 else projected[a] for a in batch_axes]
        shape += [query.shape[a] for a in self._attention_axes]
        shape += [source.shape[a] for a in self._attention_axes]
        return output, kt.KerasTensor(shape, self.dtype)

    # ------------------------------------------------------------------ config
    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": False,  # Keras 3.15 options lamina does not implement yet
            "sliding_window": None,
            "output_shape": list(self._output_shape) if self._output_shape else None,
            "attention_axes": list(self._attention_axes) if self._attention_axes else None,
            "kernel_initializer": serialize_keras_object(self._kernel_initializer),
            "bias_initializer": serialize_keras_object(self._bias_initializer),
            "kernel_regularizer": serialize_keras_object(self._kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self._bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self._kernel_constraint),
            "bias_constraint": serialize_keras_object(self._bias_constraint),
            "seed": self.seed,
        }


def _causal_mask(target_length, source_length, device):
    """(1, target, source): position i attends to positions <= i (top-left aligned)."""
    rows = torch.arange(target_length, device=device).unsqueeze(1)
    cols = torch.arange(source_length, device=device).unsqueeze(0)
    return (rows >= cols).unsqueeze(0)


def _as_tensor(x, dtype):
    """NumPy data passed as `value`/`key` becomes a tensor, as the query does in Layer.__call__."""
    if x is None or isinstance(x, (torch.Tensor, kt.KerasTensor)):
        return x
    return torch.as_tensor(np.asarray(x), dtype=dtype)


def _large_negative(dtype):
    return -0.7 * torch.finfo(dtype).max


def _inverse(order):
    inverse = [0] * len(order)
    for position, axis in enumerate(order):
        inverse[axis] = position
    return inverse
