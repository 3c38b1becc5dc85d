"""`lamina.preprocessing.text`: the Keras 2 text helpers (`Tokenizer`, `one_hot`, ...).

Keras 3 dropped `keras.preprocessing.text` from its public API in favour of the
`TextVectorization` layer, but a great many tutorials and saved tokenizer JSON files still use
it. This module behaves the way the Keras 2 one did (word order, index numbering, matrix modes,
the JSON format), so those programs and files keep working; every public name warns that it is
the old API. New code should use `lamina.layers.TextVectorization`.
"""

import collections
import hashlib
import json
import warnings

import numpy as np

from lamina.utils.arguments import user_stacklevel

# Keras 2's default: ASCII punctuation plus tab and newline (the apostrophe is kept: "don't").
DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
MODES = ("binary", "count", "tfidf", "freq")
_TOKENIZER_ARGS = ("num_words", "filters", "lower", "split", "char_level", "oov_token",
                   "analyzer", "document_count")


def _deprecated(name):
    # stacklevel=3 points at the caller of the public function, not at this helper.
    warnings.warn(f"`{name}` is the Keras 2 text API (`keras.preprocessing.text`), kept so old "
                  "code runs; Keras 3 replaces it with `keras.layers.TextVectorization` "
                  "(`lamina.layers.TextVectorization`).",
                  DeprecationWarning, stacklevel=user_stacklevel())


def _words(text, filters, lower, split):
    if lower:
        text = text.lower()
    # Filtered characters become separators, so "end.Start" gives two words, not "endstart".
    text = text.translate(str.maketrans(dict.fromkeys(filters, split)))
    return [word for word in text.split(split) if word]


def _md5(word):
    return int(hashlib.md5(word.encode()).hexdigest(), 16)


def _hashed(text, n, hash_function, filters, lower, split, analyzer):
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5
    elif not callable(hash_function):
        raise ValueError(f"hash_function={hash_function!r} is not supported: pass None (Python's "
                         "`hash`, which changes between processes), 'md5' (stable), or a callable.")
    if n < 2:
        raise ValueError(f"n={n} leaves no room for words: index 0 is reserved, so pass n >= 2 "
                         "(the vocabulary size plus one).")
    words = analyzer(text) if analyzer is not None else _words(text, filters, lower, split)
    # Indices run from 1 to n - 1: 0 stays free for padding.
    return [hash_function(word) % (n - 1) + 1 for word in words]


def text_to_word_sequence(input_text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    _deprecated("text_to_word_sequence")
    return _words(input_text, filters, lower, split)


def one_hot(input_text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    # Despite the name, Keras 2's one_hot is the hashing trick with Python's `hash`.
    _deprecated("one_hot")
    return _hashed(input_text, n, None, filters, lower, split, analyzer)


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                  analyzer=None):
    _deprecated("hashing_trick")
    return _hashed(text, n, hash_function, filters, lower, split, analyzer)


class Tokenizer:
    """Keras 2's word (or character) index: index 1 is the most frequent word (or `oov_token`
    when given), index 0 is never used."""

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                 char_level=False, oov_token=None, analyzer=None, document_count=0, **kwargs):
        _deprecated("Tokenizer")
        self._configure(num_words, filters, lower, split, char_level, oov_token, analyzer,
                        document_count, **kwargs)

    def _configure(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                   char_level=False, oov_token=None, analyzer=None, document_count=0, **kwargs):
        if "nb_words" in kwargs:  # Keras 1's name, still accepted by Keras 2
            warnings.warn("Tokenizer(nb_words=...) is the old name of `num_words`: pass "
                          "num_words=... instead.",
                          DeprecationWarning, stacklevel=user_stacklevel())
            num_words = kwargs.pop("nb_words")
        if kwargs:
            raise TypeError(f"Tokenizer got unexpected keyword arguments {sorted(kwargs)}; it "
                            f"takes {', '.join(_TOKENIZER_ARGS)}.")
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.analyzer = analyzer
        self.document_count = document_count
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.index_docs = collections.defaultdict(int)
        self.word_index = {}
        self.index_word = {}

    def _tokens(self, text):
        # A list is already tokenized, and char_level takes every character (spaces and
        # punctuation included): neither goes through `filters` or `split`.
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return _words(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for word in tokens:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            for word in set(tokens):
                self.word_docs[word] += 1
        # The sort is stable, so words seen equally often keep the order they were first seen
        # in: that is what makes the indices match Keras's.
        ranked = sorted(self.word_counts, key=self.word_counts.get, reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + ranked
        # If the texts contain the oov_token itself, its later position wins and index 1 is left
        # unused, as in Keras.
        self.word_index = {word: i for i, word in enumerate(vocabulary, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}
        for word, docs in self.word_docs.items():
            self.index_docs[self.word_index[word]] = docs

    def fit_on_sequences(self, sequences):
        """Document frequencies for `tfidf` when the texts come already as index sequences."""
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def _is_dropped(self, i):
        # Only the num_words - 1 most frequent words are kept (index 0 takes a slot).
        return bool(self.num_words) and i >= self.num_words

    def texts_to_sequences(self, texts):
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        oov_index = self.word_index.get(self.oov_token)
        for text in texts:
            seq = []
            for word in self._tokens(text):
                i = self.word_index.get(word)
                if i is not None and not self._is_dropped(i):
                    seq.append(i)
                elif oov_index is not None:
                    seq.append(oov_index)
            yield seq

    def sequences_to_texts(self, sequences):
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        oov_index = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for i in seq:
                word = self.index_word.get(i)
                if word is not None and not self._is_dropped(i):
                    words.append(word)
                elif oov_index is not None:
                    words.append(self.index_word[oov_index])
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary"):
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        if mode not in MODES:
            raise ValueError(f"Unknown mode {mode!r}: pass mode= one of {', '.join(MODES)}.")
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError("The Tokenizer has no vocabulary yet, so the matrix has no width: "
                             "call fit_on_texts(texts) first, or pass Tokenizer(num_words=...).")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("mode='tfidf' needs document frequencies: call fit_on_texts(texts) "
                             "or fit_on_sequences(sequences) first.")
        matrix = np.zeros((len(sequences), width))
        for row, seq in enumerate(sequences):
            counts = collections.Counter(i for i in seq if i < width)
            for i, count in counts.items():
                if mode == "binary":
                    matrix[row, i] = 1
                elif mode == "count":
                    matrix[row, i] = count
                elif mode == "freq":  # over the whole sequence, dropped indices included
                    matrix[row, i] = count / len(seq)
                else:  # tf-idf with log-scaled term frequency and smoothed idf, as Keras 2
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(i, 0)))
                    matrix[row, i] = (1 + np.log(count)) * idf
        return matrix

    def get_config(self):
        # The dictionaries are stored as JSON strings inside the config: that is the Keras 2
        # format that saved tokenizer files use. `analyzer` (a callable) is not saved.
        return {
            "num_words": self.num_words, "filters": self.filters, "lower": self.lower,
            "split": self.split, "char_level": self.char_level, "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts), "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs), "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """The config as a JSON string; `kwargs` go to `json.dumps` (e.g. `indent=2`)."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)


def tokenizer_from_json(json_string):
    _deprecated("tokenizer_from_json")
    config = dict(json.loads(json_string)["config"])
    tables = {key: json.loads(config.pop(key))
              for key in ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    tokenizer = Tokenizer.__new__(Tokenizer)  # one warning per call: __init__ would warn again
    tokenizer._configure(**config)
    tokenizer.word_counts = collections.OrderedDict(tables["word_counts"])
    # defaultdicts (unlike Keras) so that fitting more texts after loading works.
    tokenizer.word_docs = collections.defaultdict(int, tables["word_docs"])
    # JSON turned the integer keys into strings.
    tokenizer.index_docs = collections.defaultdict(
        int, {int(i): docs for i, docs in tables["index_docs"].items()})
    tokenizer.index_word = {int(i): word for i, word in tables["index_word"].items()}
    tokenizer.word_index = tables["word_index"]
    return tokenizer
