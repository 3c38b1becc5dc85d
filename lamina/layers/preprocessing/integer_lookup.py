"""IntegerLookup: integer features -> contiguous indices (or encoded vectors), and back."""

import numpy as np
import torch

from lamina.layers.preprocessing.index_lookup import IndexLookup
from lamina.registry.export import keras_export


@keras_export("layers.IntegerLookup")
class IntegerLookup(IndexLookup):
    """Maps integer values to indices of a vocabulary (given, or learned with `adapt()`).

    The lookup runs on the input's device (a sorted table and `torch.searchsorted`), except
    with `oov_method="farmhash"` and several OOV indices, which hash on the host. With
    `num_oov_indices=0` an out-of-vocabulary value raises an error, which costs a device sync.

    Args: as `StringLookup`, with integer tokens: `mask_token` (default None) and `oov_token`
    (default -1); `oov_method`: "floormod" (default: OOV index = value mod num_oov_indices)
    or "farmhash" (hash of the value's decimal text, as Keras).

    Example:
        >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]]))   # [[1, 3, 4], [4, 0, 2]]
    """
    _accepts_integers = True  # ids: a Sequential fed integers keeps them integers

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(
                "Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                f"vocabulary_dtype={vocabulary_dtype}"
            )
        if salt is not None and oov_method != "farmhash":
            raise ValueError(
                f"`salt` can only be used when `oov_method='farmhash'`. Received: "
                f"oov_method={oov_method}"
            )
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=None if mask_token is None else int(mask_token),
                         oov_token=None if oov_token is None else int(oov_token),
                         vocabulary=vocabulary, vocabulary_dtype=vocabulary_dtype,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)

    def _standardize_token(self, token):
        return int(token)

    def _set_tokens(self, tokens):
        super()._set_tokens(tokens)
        keys = torch.tensor(self._tokens, dtype=torch.int64)
        keys, order = torch.sort(keys)
        self.register_buffer("_sorted_keys", keys, persistent=False)
        self.register_buffer("_sorted_indices", order + self._token_start_index(),
                             persistent=False)
        table = torch.tensor([-1 if t is None else t for t in self.get_vocabulary()],
                             dtype=torch.int64)
        self.register_buffer("_inverse_table", table, persistent=False)

    def call(self, inputs):
        if not isinstance(inputs, torch.Tensor):
            inputs = torch.as_tensor(np.asarray(inputs))
        values = inputs.long()
        if self.invert:
            return self._invert(values)
        if self.num_oov_indices > 1 and self.oov_method == "farmhash":
            indices = torch.from_numpy(self._lookup_host(values.cpu().numpy())).to(values.device)
        else:
            indices = self._lookup_device(values)
        return self._encode(indices)

    def _lookup_device(self, values):
        keys = self._sorted_keys.to(values.device)
        if len(keys):
            # (contiguous: torch warns, once per process, about a strided input)
            position = torch.searchsorted(keys, values.contiguous()).clamp(max=len(keys) - 1)
            found = keys[position] == values
            indices = torch.where(found, self._sorted_indices.to(values.device)[position], -1)
        else:
            found = torch.zeros_like(values, dtype=torch.bool)
            indices = torch.full_like(values, -1)
        oov_start = self._oov_start_index()
        if self.num_oov_indices == 1:
            indices = torch.where(found, indices, oov_start)
        elif self.num_oov_indices > 1:
            indices = torch.where(found, indices,
                                  torch.remainder(values, self.num_oov_indices) + oov_start)
        if self.mask_token is not None:
            indices = torch.where(values == self.mask_token, self._mask_index(), indices)
        if self.num_oov_indices == 0:
            missing = (indices == -1) & (values != self.mask_token if self.mask_token is not None
                                         else True)
            if bool(missing.any()):  # a device sync, only in this configuration
                self._hashed_oov_index(values[missing][0].item())
        return indices

    def _invert(self, indices):
        table = self._inverse_table.to(indices.device)
        inside = (indices >= 0) & (indices < len(table))
        values = table[indices.clamp(0, max(len(table) - 1, 0))]
        return torch.where(inside, values, self.oov_token if self.oov_token is not None else -1)

    def _config_tokens(self):
        return [int(t) for t in self._tokens]
