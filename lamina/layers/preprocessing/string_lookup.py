"""StringLookup: strings -> integer indices (or encoded vectors), and back with `invert`."""

import numpy as np
import torch

from lamina.layers.preprocessing.index_lookup import IndexLookup
from lamina.layers.preprocessing.string_inputs import is_string_data, to_host_array, \
    to_string_array
from lamina.registry.export import keras_export


@keras_export("layers.StringLookup")
class StringLookup(IndexLookup):
    """Maps strings to indices of a vocabulary (given, or learned with `adapt()`).

    Strings arrive as Python strings, (nested) lists or numpy arrays of str/bytes; the lookup
    runs on the host and returns an int64 tensor (or float32 one-hot / multi-hot / count /
    TF-IDF vectors). With `invert=True` the layer maps indices back to strings and returns a
    numpy array of `str` (torch has no string tensors).

    Args:
        max_tokens: maximum vocabulary size, special tokens included (None: no limit).
        num_oov_indices: number of out-of-vocabulary indices (default 1); with more than one,
            an OOV string's index is chosen by its hash (the same as Keras).
        mask_token: a string that maps to index 0 (in "int" mode) and means "nothing".
        oov_token: the string `invert` gives OOV indices (default "[UNK]").
        vocabulary: list/array of strings or a text file path (one term per line).
        idf_weights: IDF weight of each vocabulary term (output_mode="tf_idf" only).
        invert: map indices to strings instead.
        output_mode: "int" (default), "one_hot", "multi_hot", "count" or "tf_idf".
        pad_to_max_tokens: encoded outputs have `max_tokens` entries instead of the
            vocabulary size.
        encoding: text encoding used to decode `bytes` inputs (default "utf-8").
        salt: keys the hash of OOV strings (int or pair of ints).

    Example:
        >>> layer = StringLookup(vocabulary=["a", "b", "c"])
        >>> layer([["a", "c"], ["d", "b"]])      # [[1, 3], [0, 2]]; 0 is the OOV index
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 **kwargs):
        kwargs.pop("vocabulary_dtype", None)
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens, name=name,
                         salt=salt, vocabulary_dtype="string", **kwargs)

    def _standardize_token(self, token):
        if isinstance(token, bytes):
            return token.decode(self.encoding)
        return str(token)

    def _adapt_array(self, data):
        return to_string_array(data, self.encoding)

    def call(self, inputs):
        if self.invert:
            return self._invert(inputs)
        if not is_string_data(inputs):
            raise TypeError(
                f'StringLookup layer "{self.name}" maps strings to indices, but received '
                f"numbers of dtype {getattr(inputs, 'dtype', type(inputs).__name__)}. Pass "
                "strings, or use IntegerLookup for integer features."
            )
        indices = torch.from_numpy(self._lookup_host(to_string_array(inputs, self.encoding)))
        return self._encode(indices)

    def _invert(self, inputs):
        indices = to_host_array(inputs).astype(np.int64)
        table = self.get_vocabulary()
        result = np.empty(indices.size, dtype=object)
        result[:] = [table[i] if 0 <= i < len(table) else self.oov_token
                     for i in indices.ravel()]
        return result.reshape(indices.shape)

    def get_config(self):
        config_dict = {**super().get_config(), "encoding": self.encoding}
        del config_dict["vocabulary_dtype"]
        return config_dict
