"""ReversibleEmbedding: an Embedding that can also project hidden states back to the vocabulary.

`layer(ids)` looks the ids up as `Embedding` does; `layer(hidden, reverse=True)` returns logits
`hidden @ embeddings.T` (`tie_weights=True`, the default) or `hidden @ reverse_embeddings` with a
separate `(output_dim, input_dim)` weight (`tie_weights=False`). No bias. `logit_soft_cap=c`
bounds the logits to `c * tanh(logits / c)`; `reverse_dtype` is the dtype the projection is
computed in (default: the layer's compute dtype).
"""

import torch

from lamina import config
from lamina.layers.core.embedding import Embedding
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.symbolic import keras_tensor as kt


@keras_export("layers.ReversibleEmbedding")
class ReversibleEmbedding(Embedding):
    """Embedding with a reverse (hidden states -> logits) call, for tied input/output embeddings.

    Args:
        input_dim, output_dim, embeddings_initializer, embeddings_regularizer,
        embeddings_constraint, mask_zero: as for `Embedding`.
        tie_weights: reuse the transposed `embeddings` for the reverse projection (default True);
            False adds a trainable `reverse_embeddings` weight of shape `(output_dim, input_dim)`.
        reverse_dtype: dtype of the reverse projection (default: the compute dtype).
        logit_soft_cap: if set, reverse logits become `tanh(logits / cap) * cap`.

    Call arguments:
        inputs: integer ids, or hidden states `(..., output_dim)` when `reverse=True`.
        reverse: project back to `input_dim` logits instead of looking ids up (default False).
    """

    def __init__(self, input_dim=None, output_dim=None, tie_weights=True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = None if reverse_dtype is None else config.dtype_name(reverse_dtype)
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        initial = self._initial_weights  # set once every weight exists
        self._initial_weights = None
        super().build(input_shape)
        self.reverse_embeddings = None
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim), initializer=self.embeddings_initializer,
                name="reverse_embeddings",
            )
        if initial is not None:
            self.set_weights(initial)

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = self.embeddings.t() if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            dtype = config.to_torch_dtype(self.reverse_dtype)
            inputs, kernel = inputs.to(dtype), kernel.to(dtype)
        elif inputs.dtype != kernel.dtype:
            kernel = kernel.to(inputs.dtype)
        logits = torch.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = torch.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def _autocast(self, x):
        # Hidden states (reverse calls) are cast like any float input; ids stay integers.
        return Layer._autocast(self, x)

    def compute_mask(self, inputs, mask=None):
        if inputs.is_floating_point():  # a reverse call: logits carry no padding mask
            return None
        return super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        input_shape = tuple(input_shape)
        if reverse:
            return input_shape[:-1] + (self.input_dim,)
        return input_shape + (self.output_dim,)

    def compute_output_spec(self, inputs, reverse=False):
        # As Keras's spec: the compute dtype, even when `reverse_dtype` is set.
        return kt.KerasTensor(self.compute_output_shape(inputs.shape, reverse), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype, "logit_soft_cap": self.logit_soft_cap}
