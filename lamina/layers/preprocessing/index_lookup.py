"""IndexLookup: the vocabulary machinery shared by StringLookup, IntegerLookup and
TextVectorization.

Index layout (as Keras): with `output_mode="int"` and a `mask_token`, index 0 is the mask;
then come `num_oov_indices` out-of-vocabulary (OOV) indices, then the vocabulary terms. Other
output modes give the mask no index (masked values contribute nothing). Several OOV indices
are chosen by hashing the value (FarmHash, as Keras via TensorFlow) or, for integers with
`oov_method="floormod"`, by `value mod num_oov_indices`.

`adapt()` counts terms; the vocabulary is ordered by decreasing count, ties broken by
decreasing term (Keras's order), truncated to `max_tokens`.

Saving: Keras 3 writes an adapted vocabulary to `assets/vocabulary.txt` in the `.keras` archive
(`save_assets` / `load_assets` below do the same) and the TF-IDF weights as variables. lamina
also puts the current vocabulary and IDF weights in `get_config()`, so a model's config alone
rebuilds the layer (`"has_input_vocabulary": False` marks an adapted vocabulary, which may be
adapted again).
"""

import collections
import math
import os

import numpy as np
import torch

from lamina import config
from lamina.layers.preprocessing.categorical import encode_categorical, encoded_shape
from lamina.layers.preprocessing.string_hashing import hash_bucket
from lamina.layers.preprocessing.string_inputs import HostInputLayer, to_host_array

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(HostInputLayer):
    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, oov_method="floormod", salt=None,
                 **kwargs):
        kwargs.pop("vocabulary_size", None)  # derived from the vocabulary; kept for Keras configs
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        super().__init__(**kwargs)
        name = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"{name}: if set, `max_tokens` must be greater than 1. Received: "
                f"max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"{name}: pad_to_max_tokens=True needs `max_tokens`. Received: "
                f"max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                f"{name}: `num_oov_indices` must be greater than or equal to 0. Received: "
                f"num_oov_indices={num_oov_indices}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"{name}: `oov_method` must be 'floormod' or 'farmhash'. Received: "
                f"oov_method={oov_method!r}"
            )
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"{name}: unknown `output_mode`. Expected one of {_OUTPUT_MODES}. Received: "
                f"output_mode={output_mode!r}"
            )
        if invert and output_mode != "int":
            raise ValueError(
                f"{name}: `output_mode` must be 'int' when `invert` is true. Received: "
                f"output_mode={output_mode!r}"
            )
        if sparse:
            raise ValueError(f"{name}: sparse=True is not supported by lamina.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{name}: `idf_weights` should only be set if `output_mode` is 'tf_idf'. "
                f"Received: output_mode={output_mode!r}"
            )
        if output_mode == "tf_idf" and has_input_vocabulary and vocabulary is not None \
                and idf_weights is None:
            raise ValueError(
                f"{name}: with output_mode='tf_idf', a `vocabulary` needs its `idf_weights`."
            )
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.vocabulary_dtype = vocabulary_dtype
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.oov_method = oov_method
        self.salt = _standardize_salt(salt, name)
        self._has_input_vocabulary = bool(has_input_vocabulary)
        self._idf_weights = None
        self._set_tokens([])
        self.autocast = False
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # ------------------------------------------------------------------ index layout
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """Number of indices: mask and OOV indices plus the vocabulary terms."""
        return self._token_start_index() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens=True):
        """The term of each index (mask token, OOV tokens, then terms) or only the terms."""
        if not include_special_tokens:
            return list(self._tokens)
        return ([self.mask_token] * self._oov_start_index()
                + [self.oov_token] * self.num_oov_indices + list(self._tokens))

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    # ------------------------------------------------------------------ vocabulary
    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Replace the vocabulary (a list, array, tensor, or the path of a one-term-per-line
        text file) and, for output_mode='tf_idf', its IDF weights."""
        name = type(self).__name__
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{name}: `idf_weights` must be set if output_mode is 'tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                f"{name}: `idf_weights` should only be set if output_mode is 'tf_idf'. "
                f"Received: output_mode={self.output_mode!r}"
            )
        if isinstance(vocabulary, (str, os.PathLike)):
            vocabulary = self._read_vocabulary_file(vocabulary)
        vocabulary = [self._standardize_token(t) for t in to_host_array(vocabulary).ravel()]
        if not vocabulary:
            raise ValueError(f"{name}: cannot set an empty vocabulary.")
        token_start = self._token_start_index()
        specials = self.get_vocabulary()[:token_start]
        has_specials = vocabulary[:token_start] == specials
        tokens = vocabulary[token_start:] if has_specials else vocabulary
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(
                f"{name}: the vocabulary has repeated terms; make it unique. The repeated "
                f"terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                f"{name}: found the mask token {self.mask_token!r} inside `vocabulary`. Leave "
                "mask and OOV tokens out of it, or put them only at its start, in this order: "
                f"{specials}."
            )
        if self.invert and self.oov_token is not None and self.oov_token in tokens:
            raise ValueError(
                f"{name}: found the OOV token {self.oov_token!r} inside `vocabulary`. Leave "
                f"mask and OOV tokens out of it, or put them only at its start: {specials}."
            )
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError(
                f"{name}: attempted to set a vocabulary larger than the maximum vocab size. "
                f"Received vocabulary size is {token_start + len(tokens)}; `max_tokens` is "
                f"{self.max_tokens}."
            )
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf = to_host_array(idf_weights).astype(np.float64).ravel()
            if len(idf) != len(vocabulary):
                raise ValueError(
                    f"{name}: `idf_weights` must be the same length as the vocabulary. "
                    f"len(idf_weights) is {len(idf)}; len(vocabulary) is {len(vocabulary)}"
                )
            front = 0 if has_specials else token_start
            self._set_idf(np.concatenate([np.full(front, np.mean(idf)), idf]))

    def _set_tokens(self, tokens):
        self._tokens = list(tokens)
        self._index_of = {t: i + self._token_start_index() for i, t in enumerate(self._tokens)}

    def _set_idf(self, weights):
        if self.pad_to_max_tokens and self.max_tokens is not None:
            weights = np.pad(weights, (0, self.max_tokens - len(weights)))
        self._idf_weights = torch.as_tensor(weights, dtype=config.to_torch_dtype(config.floatx()))

    def _read_vocabulary_file(self, path):
        from lamina.registry import safe_mode

        if len(safe_mode._safe_mode) > 1 and safe_mode.in_safe_mode():  # inside a safe load
            raise ValueError(
                f"Refusing to read the vocabulary file {str(path)!r}, named in a loaded config, "
                "outside the model archive: it could be any file. If you trust the source, "
                "load with safe_mode=False."
            )
        if self.output_mode == "tf_idf":
            raise ValueError("output_mode 'tf_idf' does not support loading a vocabulary file.")
        if not os.path.exists(path):
            raise ValueError(f"Vocabulary file {path} does not exist.")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return np.array(lines, dtype=object)

    def _standardize_token(self, token):
        raise NotImplementedError

    # ------------------------------------------------------------------ adapt
    def reset_state(self):
        self._token_counts = collections.Counter()
        self._document_counts = collections.Counter()
        self._num_documents = 0

    def adapt(self, data, batch_size=None, steps=None):
        """Build the vocabulary from the terms of `data` (an array, a list, a tensor, or an
        iterable of batches; `steps` limits the number of batches)."""
        self.reset_state()
        if isinstance(data, (list, tuple, np.ndarray, torch.Tensor)):
            array = self._adapt_array(data)
            if array.ndim == 1:
                array = array[:, None]  # one document per element
            self.update_state(array)
        else:
            for step, batch in enumerate(data):
                if steps is not None and step >= steps:
                    break
                self.update_state(batch)
        self.finalize_state()

    def _adapt_array(self, data):
        return to_host_array(data)

    def update_state(self, data):
        """Count the terms of one batch of documents (rows)."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via the "
                "`vocabulary` argument or the `set_vocabulary()` method."
            )
        documents = self._documents(data)
        for document in documents:
            terms = [self._standardize_token(t) for t in document]
            self._token_counts.update(terms)
            if self.output_mode == "tf_idf":
                self._document_counts.update(set(terms))
        self._num_documents += len(documents)

    def _documents(self, data):
        """A batch as a list of documents (each a list of terms)."""
        if isinstance(data, list) and all(isinstance(d, list) for d in data):
            return data  # already ragged documents (TextVectorization's tokens)
        array = to_host_array(data)
        if array.ndim == 0:
            return [[array.item()]]
        if array.ndim == 1:
            return [list(array)]
        return [list(np.ravel(row)) for row in array]

    def finalize_state(self):
        if self._has_input_vocabulary or not self._token_counts:
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        ordered = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens:
            ordered = ordered[:self.max_tokens - self._token_start_index()]
        self._set_tokens(ordered)
        if self.output_mode == "tf_idf":
            idf = np.array([math.log(1 + self._num_documents / (1 + self._document_counts[t]))
                            for t in ordered])
            front = np.full(self._token_start_index(), idf.mean() if len(idf) else 0.0)
            self._set_idf(np.concatenate([front, idf]))
        self.reset_state()

    # ------------------------------------------------------------------ lookup
    def _lookup_host(self, values):
        """Indices (int64 numpy array) of an array of terms, computed on the host."""
        table = self._index_of
        mask, default = self.mask_token, self._default_index()
        indices = np.empty(values.size, dtype=np.int64)
        for i, value in enumerate(np.ravel(values)):
            index = table.get(value)
            if index is None:
                index = self._mask_index() if mask is not None and value == mask else \
                    default if default is not None else self._hashed_oov_index(value)
            indices[i] = index
        return indices.reshape(values.shape)

    def _mask_index(self):
        return 0 if self.output_mode == "int" else -1  # -1: encoded as nothing

    def _default_index(self):
        """The index of every OOV value when there is a single one (None: hash or error)."""
        return self._oov_start_index() if self.num_oov_indices == 1 else None

    def _hashed_oov_index(self, value):
        if self.num_oov_indices == 0:
            raise ValueError(
                f'Layer "{self.name}": with `num_oov_indices=0` all inputs should be in the '
                f"vocabulary, found the OOV value {value!r}; consider setting "
                "`num_oov_indices=1`."
            )
        bucket = hash_bucket(str(value), self.num_oov_indices, self.salt)
        return self._oov_start_index() + bucket

    def _encode(self, indices):
        """int indices -> the layer's output (the indices themselves, or encoded vectors)."""
        if self.output_mode == "int":
            return indices
        output_mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        if not self.pad_to_max_tokens and not self._tokens:
            raise RuntimeError(
                f"When using output_mode={self.output_mode!r} and pad_to_max_tokens=False, set "
                "the layer's vocabulary before calling it: pass `vocabulary=` or call adapt()."
            )
        dtype = config.to_torch_dtype(config.floatx())
        encoded = encode_categorical(indices, output_mode, self._depth(), dtype)
        if self.output_mode == "tf_idf":
            encoded = encoded * self._idf_weights.to(encoded.device)
        return encoded

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoded_shape(input_shape, self.output_mode, self._depth())

    def compute_output_spec(self, inputs, *args, **kwargs):
        # Keras: ids are int64, an inverted lookup gives its vocabulary's dtype, the encodings
        # (one_hot, multi_hot, count, tf_idf) the compute dtype.
        from lamina.symbolic.keras_tensor import KerasTensor

        if self.output_mode != "int":
            dtype = self.compute_dtype
        elif self.invert:
            dtype = self.vocabulary_dtype
        else:
            dtype = "int64"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    # ------------------------------------------------------------------ saving
    def get_config(self):
        adapted = not self._has_input_vocabulary and bool(self._tokens)
        vocabulary = self._config_tokens() if self._tokens else None
        idf = None
        if self.output_mode == "tf_idf" and self._idf_weights is not None and self._tokens:
            start = self._token_start_index()
            idf = self._idf_weights[start:start + len(self._tokens)].tolist()
        config_dict = {
            **super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
            "mask_token": self.mask_token, "output_mode": self.output_mode,
            "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype, "idf_weights": idf,
            "vocabulary": vocabulary, "vocabulary_size": self.vocabulary_size(),
            "oov_method": self.oov_method, "salt": self.salt,
        }
        if adapted:
            config_dict["has_input_vocabulary"] = False
        return config_dict

    def _config_tokens(self):
        return list(self._tokens)

    def save_own_variables(self, store):
        """Keras keeps TF-IDF weights in the weights file as `idf_weights` (vocabulary: assets)."""
        if self.output_mode == "tf_idf" and self._idf_weights is not None:
            store["idf_weights"] = self._idf_weights.detach().cpu().numpy()

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf" and "idf_weights" in store.keys():
            self._idf_weights = torch.as_tensor(
                np.asarray(store["idf_weights"]), dtype=config.to_torch_dtype(config.floatx()))

    def save_assets(self, dir_path):
        """Write the vocabulary to `dir_path/vocabulary.txt`, one term per line (Keras's asset)."""
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(t) for t in self.get_vocabulary()))

    def load_assets(self, dir_path):
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        idf = None
        if self.output_mode == "tf_idf" and self._idf_weights is not None:
            idf = self._idf_weights[:len(lines)].detach().cpu().numpy()
        self.set_vocabulary(np.array(lines, dtype=object), idf)


def _standardize_salt(salt, name):
    if salt is None:
        return None
    if isinstance(salt, (tuple, list)) and len(salt) == 2:
        return [int(s) for s in salt]
    if isinstance(salt, int) and not isinstance(salt, bool):
        return [salt, salt]
    raise ValueError(
        f"The `salt` argument for `{name}` can only be a tuple of 2 integers, or a single "
        f"integer. Received: salt={salt}."
    )
