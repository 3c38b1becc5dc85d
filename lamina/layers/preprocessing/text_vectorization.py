"""TextVectorization: raw strings -> token indices or bag-of-words vectors.

Processing runs on the host, per string: standardize (lower-case ASCII letters and strip ASCII
punctuation, as TensorFlow's `tf.strings.lower` / `regex_replace` do in Keras), split into
tokens, add n-grams, then look the tokens up with an inner `StringLookup` whose index 0 is the
padding/mask token "" and index 1 the OOV token "[UNK]" (in "int" mode).
"""

import re
import string

import numpy as np
import torch

from lamina import config
from lamina.layers.preprocessing.string_inputs import HostInputLayer, is_string_data, \
    to_string_array
from lamina.layers.preprocessing.string_lookup import StringLookup
from lamina.registry.export import keras_export
from lamina.registry.serialization import deserialize_keras_object, serialize_keras_object
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.utils import tf_tensors

STANDARDIZE_MODES = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT_MODES = ("whitespace", "character")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ASCII_WHITESPACE = re.compile(r"[ \t\n\r\v\f]+")


@keras_export("layers.TextVectorization")
class TextVectorization(HostInputLayer):
    """Turns strings into sequences of token indices or into per-string token vectors.

    Inputs are strings of shape `(batch,)` or `(batch, 1)` (lists or numpy arrays); outputs are
    tensors: int64 `(batch, sequence_length)` in "int" mode (padded with 0 to the longest
    string, or to `output_sequence_length`), float32 `(batch, vocabulary_size)` otherwise.

    Args:
        max_tokens: maximum vocabulary size, special tokens included.
        standardize: "lower_and_strip_punctuation" (default), "lower", "strip_punctuation",
            None, or a callable taking and returning a numpy array of strings.
        split: "whitespace" (default), "character", None (each string is one token), or a
            callable taking a numpy array of strings and returning one list of tokens per
            string.
        ngrams: None, an int n (all 1..n-grams) or a tuple of n-gram sizes; n-grams join
            tokens with a space.
        output_mode: "int" (default), "multi_hot", "count", "tf_idf" or "one_hot".
        output_sequence_length: in "int" mode, pad or truncate every sequence to this length.
        pad_to_max_tokens: encoded outputs have `max_tokens` entries.
        vocabulary: list of terms or the path of a text file (one term per line).
        idf_weights: IDF weights of the vocabulary terms (tf_idf mode).
        encoding: encoding used to decode `bytes` inputs.

    Example:
        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["The cat sat.", "The dog ran!"])
        >>> layer(["the cat ran"])     # [[2, 4, 5, 0]]
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        if not (standardize is None or callable(standardize) or standardize in STANDARDIZE_MODES):
            raise ValueError(
                f"TextVectorization: `standardize` must be None, a callable or one of "
                f"{STANDARDIZE_MODES}. Received: standardize={standardize!r}"
            )
        if not (split is None or callable(split) or split in SPLIT_MODES):
            raise ValueError(
                f"TextVectorization: `split` must be None, a callable or one of {SPLIT_MODES}. "
                f"Received: split={split!r}"
            )
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        sizes = ngrams if isinstance(ngrams, tuple) else (ngrams,)
        if not (ngrams is None or all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
                                      for n in sizes)):
            raise ValueError(
                f"`ngrams` must be None, a positive integer, or a tuple of positive integers "
                f"(n-gram sizes). Received: ngrams={ngrams!r}"
            )
        if output_mode == "int" and not (output_sequence_length is None
                                         or isinstance(output_sequence_length, int)):
            raise ValueError(
                "`output_sequence_length` must be either None or an integer when `output_mode` "
                f"is 'int'. Received: output_sequence_length={output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received output_sequence_length={output_sequence_length}."
            )
        if sparse or ragged:
            raise ValueError("TextVectorization: sparse and ragged outputs are not supported by "
                             "lamina (torch has no ragged tensors); use output_sequence_length.")
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            has_input_vocabulary=has_input_vocabulary, encoding=encoding,
            name=f"{self.name}_lookup")
        self.autocast = False
        self.built = True

    # ------------------------------------------------------------------ vocabulary
    def adapt(self, data, batch_size=None, steps=None):
        """Build the vocabulary from strings: a list/array (each element one document) or an
        iterable of batches of strings (`steps` limits the number of batches)."""
        self._lookup_layer.reset_state()
        if isinstance(data, (str, bytes, list, tuple, np.ndarray, torch.Tensor)):
            self.update_state(data)
        else:
            for step, batch in enumerate(data):
                if steps is not None and step >= steps:
                    break
                self.update_state(batch)
        self._lookup_layer.finalize_state()

    def update_state(self, data):
        data = tf_tensors.to_numpy(data)  # a batch of a tf.data dataset: bytes
        self._lookup_layer.update_state(self._tokenize(data)[0])

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def save_own_variables(self, store):
        """Keras writes the lookup's TF-IDF weights under this layer too: same layout here."""
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # ------------------------------------------------------------------ processing
    def _tokenize(self, inputs):
        """(token list of each document, shape of the grid of documents, shape of the input).

        With a split, every string is a document; without one, every string is a token and
        the last axis of a rank >= 2 input holds a document's tokens.
        """
        if isinstance(inputs, torch.Tensor) or not is_string_data(inputs):
            raise TypeError(
                f'TextVectorization layer "{self.name}" takes strings (a list or numpy array '
                f"of str); received {type(inputs).__name__}"
                f"{' of dtype ' + str(inputs.dtype) if hasattr(inputs, 'dtype') else ''}."
            )
        texts = to_string_array(inputs, self._encoding)
        text_shape = texts.shape
        if self._split is None:
            tokens = self._standardized(texts.reshape(-1))
            if texts.ndim <= 1:
                return [[t] for t in tokens], text_shape, text_shape
            width = text_shape[-1]
            documents = [tokens[i:i + width] for i in range(0, len(tokens), width)]
            return documents, text_shape[:-1], text_shape
        if texts.ndim > 1:
            if text_shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must be "
                    f"1 or the last shape dimension must be 1. Received: inputs.shape="
                    f"{text_shape} with rank={texts.ndim}"
                )
            texts = texts[..., 0]
        flat = self._standardized(texts.reshape(-1))
        if self._split == "whitespace":
            documents = [[t for t in _ASCII_WHITESPACE.split(text) if t] for text in flat]
        elif self._split == "character":
            documents = [list(text) for text in flat]
        else:
            documents = [[str(t) for t in tokens] for tokens in self._split(np.array(flat))]
        if self._ngrams is not None:
            documents = [_ngrams(tokens, self._ngrams) for tokens in documents]
        return documents, texts.shape, text_shape

    def _standardized(self, texts):
        mode = self._standardize
        if callable(mode):
            return [str(t) for t in np.asarray(mode(np.array(list(texts), dtype=str))).ravel()]
        texts = list(texts)
        if mode in ("lower", "lower_and_strip_punctuation"):
            texts = [t.translate(_ASCII_LOWER) for t in texts]
        if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
            texts = [t.translate(_NO_PUNCTUATION) for t in texts]
        return texts

    def call(self, inputs):
        documents, document_shape, input_shape = self._tokenize(inputs)
        lookup = self._lookup_layer
        lengths = [len(d) for d in documents]
        flat = np.empty(sum(lengths), dtype=object)
        flat[:] = [token for document in documents for token in document]
        indices = lookup._lookup_host(flat)
        if self._output_mode == "int":
            if self._split is None:  # one index per input string, in the input's shape
                result = torch.from_numpy(indices.reshape(input_shape))
            else:
                result = self._pad(indices, lengths).reshape(document_shape + (-1,))
            if self._output_sequence_length is not None and result.ndim:
                result = _fit_last_axis(result, self._output_sequence_length)
            return result
        rows = np.repeat(np.arange(len(documents)), lengths)
        counts = np.zeros((len(documents), lookup._depth()), dtype=np.float32)
        usable = (indices >= 0) & (indices < counts.shape[1])
        np.add.at(counts, (rows[usable], indices[usable]), 1.0)
        encoded = torch.from_numpy(counts)
        if self._output_mode in ("multi_hot", "one_hot"):
            encoded = (encoded > 0).to(encoded.dtype)
        elif self._output_mode == "tf_idf":
            encoded = encoded * lookup._idf_weights
        encoded = encoded.to(config.to_torch_dtype(config.floatx()))
        return encoded.reshape(document_shape + (encoded.shape[-1],))

    @staticmethod
    def _pad(indices, lengths):
        """Token indices of each document as a zero-padded (documents, longest) int64 tensor."""
        padded = np.zeros((len(lengths), max(lengths, default=0)), dtype=np.int64)
        start = 0
        for row, n in enumerate(lengths):
            padded[row, :n] = indices[start:start + n]
            start += n
        return torch.from_numpy(padded)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            if self._split is None:
                return input_shape[:-1] + (self._output_sequence_length,) if len(
                    input_shape) > 1 and self._output_sequence_length else input_shape
            return (input_shape[0] if input_shape else None, self._output_sequence_length)
        lookup = self._lookup_layer
        depth = lookup._depth() if lookup._tokens or lookup.pad_to_max_tokens else None
        documents = input_shape[:-1] if len(input_shape) > 1 else input_shape
        return documents + (depth,)

    def compute_output_spec(self, inputs, *args, **kwargs):
        # Token indices are int64 (what `call` returns); count vectors are floatx, as in Keras.
        dtype = "int64" if self._output_mode == "int" else config.floatx()
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    # ------------------------------------------------------------------ config
    def get_config(self):
        lookup = self._lookup_layer
        lookup_config = lookup.get_config()
        config_dict = {
            **super().get_config(), "max_tokens": lookup.max_tokens,
            "standardize": _callable_name(self._standardize),
            "split": _callable_name(self._split), "ngrams": _plain(self._ngrams_arg),
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": False, "ragged": False,
            "vocabulary": lookup_config["vocabulary"], "idf_weights": lookup_config["idf_weights"],
            "encoding": self._encoding, "vocabulary_size": self.vocabulary_size(),
        }
        if "has_input_vocabulary" in lookup_config:
            config_dict["has_input_vocabulary"] = False
        return config_dict

    @classmethod
    def from_config(cls, config_dict):
        config_dict = dict(config_dict)
        for key, modes in (("standardize", STANDARDIZE_MODES), ("split", SPLIT_MODES)):
            value = config_dict.get(key)
            if value is not None and value not in modes:
                config_dict[key] = deserialize_keras_object(value, what=f"`{key}` function")
        return super().from_config(config_dict)


def _ngrams(tokens, widths):
    """All n-grams of each width in `widths` (in that order), tokens joined with a space."""
    grams = []
    for width in widths:
        grams.extend(" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
    return grams


def _fit_last_axis(tensor, length):
    """Truncate or zero-pad the last axis of `tensor` to `length`."""
    if tensor.shape[-1] >= length:
        return tensor[..., :length]
    return torch.nn.functional.pad(tensor, (0, length - tensor.shape[-1]))


def _callable_name(value):
    return serialize_keras_object(value) if callable(value) else value


def _plain(value):
    return list(value) if isinstance(value, tuple) else value
