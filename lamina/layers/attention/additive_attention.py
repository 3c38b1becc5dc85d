"""AdditiveAttention (Bahdanau-style): `scores = sum(scale * tanh(query + key))` over features,
with a learned per-feature `scale` `(dim,)` when `use_scale` (the default). Masks, causal masking
and dropout as in `Attention`."""

import torch

from lamina.layers.attention.attention import Attention
from lamina.registry.export import keras_export


@keras_export("layers.AdditiveAttention")
class AdditiveAttention(Attention):
    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],),
                                         initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        pairs = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))  # (..., Tq, Tv, dim)
        if self.scale is not None:
            pairs = pairs * self.scale
        return pairs.sum(dim=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
