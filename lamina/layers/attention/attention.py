"""Attention: dot-product (Luong-style) attention over `[query, value]` or `[query, value, key]`.

`score_mode="dot"`: `scores = query @ key^T` (times a learned scalar `scale` if `use_scale`);
`score_mode="concat"`: `scores = concat_score_weight * sum(tanh(scale * (query + key)))`.
Softmax over the value axis, then a weighted sum of `value`. Masks (`[query_mask, value_mask]`,
taken from the inputs' `_keras_mask` when not given): masked values get no weight, masked query
rows output zeros; `use_causal_mask=True` lets position i see only values <= i.
"""

import numpy as np
import torch
import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.symbolic import keras_tensor as kt
from lamina.utils.arguments import check_rate, warn_deprecated


@keras_export("layers.Attention")
class Attention(Layer):
    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        causal = kwargs.pop("causal", None)
        if causal is not None:  # Keras 2.4-2.9 constructor argument
            warn_deprecated("causal=", "`use_causal_mask=True` in the call",
                            f"{type(self).__name__}()")
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"Invalid score_mode {score_mode!r}: expected 'dot' or 'concat'."
            )
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = check_rate(dropout, "dropout", f"{type(self).__name__}()")
        self.seed = seed
        self.supports_masking = True
        self._causal_by_default = bool(causal)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")
        self.built = True

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask_tensor(mask[0], query.device) if mask else None
        value_mask = mask_tensor(mask[1], query.device) if mask else None
        scores = self._calculate_scores(query, key)
        scores_mask = self._scores_mask(scores, value_mask,
                                        use_causal_mask or self._causal_by_default)
        if scores_mask is not None:
            penalty = 65504.0 if scores.dtype == torch.float16 else 1.0e9
            scores = torch.where(scores_mask, scores, scores - penalty)
        weights = torch.softmax(scores, dim=-1)
        if training and self.dropout > 0:
            weights = F.dropout(weights, self.dropout, True)
        output = weights @ value
        if query_mask is not None:
            output = torch.where(query_mask.bool().unsqueeze(-1), output, 0.0)
        return (output, weights) if return_attention_scores else output

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = query @ key.transpose(-1, -2)
            return scores * self.scale if self.scale is not None else scores
        pairs = query.unsqueeze(-2) + key.unsqueeze(-3)  # (..., Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale * pairs
        return self.concat_score_weight * torch.tanh(pairs).sum(dim=-1)

    @staticmethod
    def _scores_mask(scores, value_mask, causal):
        if value_mask is not None:
            value_mask = value_mask.bool().unsqueeze(-2)  # (batch, 1, Tv)
        if not causal:
            return value_mask
        rows = torch.arange(scores.shape[-2], device=scores.device).unsqueeze(1)
        cols = torch.arange(scores.shape[-1], device=scores.device).unsqueeze(0)
        causal_mask = (rows >= cols).unsqueeze(0)
        return causal_mask if value_mask is None else value_mask & causal_mask

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if not mask or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        query_shape, value_shape = input_shape[0], input_shape[1]
        return (*query_shape[:-1], value_shape[-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False, **kwargs):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        output = kt.KerasTensor(self.compute_output_shape([query.shape, value.shape]),
                                self.dtype)
        if not return_attention_scores:
            return output
        return output, kt.KerasTensor((*query.shape[:-1], key.shape[-2]), self.dtype)

    def _validate_inputs(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{name} layer must be called on a list of inputs, namely [query, value] or "
                f"[query, value, key]. Received: {_describe(inputs)}."
            )
        if mask is not None and (not isinstance(mask, (list, tuple)) or
                                 not 2 <= len(mask) <= 3):
            raise ValueError(
                f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                f"Received: mask={_describe(mask)}."
            )

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}


def _describe(value):
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    shape = getattr(value, "shape", None)
    return f"a {type(value).__name__} of shape {tuple(shape)}" if shape is not None else repr(value)


def mask_tensor(mask, device):
    """A mask given as a numpy array or list (Keras accepts those) as a tensor (shared with
    MultiHeadAttention)."""
    if mask is None or isinstance(mask, torch.Tensor):
        return mask
    return torch.as_tensor(np.asarray(mask), device=device)
