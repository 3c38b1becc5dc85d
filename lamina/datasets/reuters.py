"""The Reuters newswire topic data set: 11,228 newswires labelled with one of 46 topics.

Each newswire is a list of word ids, words ranked by frequency in the data. Downloaded once from
Keras's bucket into `~/.keras/datasets/` (see `lamina.utils.get_file` for the cache).
"""

import json

import numpy as np

from lamina.datasets import safe_pickle
from lamina.datasets import word_sequences
from lamina.utils import file_utils

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_ORIGIN = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters_word_index.json"
)
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"  # md5, as Keras checks it

LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """Loads the Reuters newswires as word-id sequences, shuffled, then split.

    Args:
        path: the file's name in the cache folder (`~/.keras/datasets/`).
        num_words: keep the `num_words` most frequent words (ids below `num_words` after the
            shift by `index_from`); the others become `oov_char`. None keeps all.
        skip_top: also replace the ids below `skip_top` (the most frequent words) by `oov_char`.
        maxlen: drop the newswires of `maxlen` ids or more (counting `start_char`).
        test_split: fraction of the (shuffled, filtered) newswires kept for the test split.
        seed: seed of the shuffle (numpy `RandomState`, as Keras).
        start_char: id put at the start of every newswire (None: nothing is added).
        oov_char: id replacing the words cut by `num_words` / `skip_top` (None: they are removed).
        index_from: added to every word rank, keeping ids `0..index_from-1` free (0 = padding).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x_*` 1-D object arrays of lists of int ids,
        `y_*` int arrays of topic ids (0-45, named by `get_label_names()`).
    """
    if not 0 <= test_split <= 1:
        raise ValueError(
            f"reuters.load_data: `test_split` is the fraction of newswires kept for testing, "
            f"between 0 and 1. Received: test_split={test_split}"
        )
    path = file_utils.get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    arrays = safe_pickle.load_npz(path)
    order = word_sequences.shuffle_order(np.random.RandomState(seed), len(arrays["x"]))
    sequences, labels = arrays["x"][order], arrays["y"][order]

    sequences = word_sequences.shift_and_mark(sequences, start_char, index_from)
    if maxlen:
        sequences, labels = word_sequences.drop_long(maxlen, sequences, labels)
        if not sequences:
            raise ValueError(
                f"reuters.load_data: no newswire is shorter than maxlen={maxlen}. Increase "
                "`maxlen` (or pass None)."
            )
    sequences = word_sequences.limit_vocabulary(sequences, num_words, skip_top, oov_char)
    split = int(len(sequences) * (1 - test_split))
    return ((word_sequences.object_array(sequences[:split]), np.array(labels[:split])),
            (word_sequences.object_array(sequences[split:]), np.array(labels[split:])))


def get_word_index(path="reuters_word_index.json"):
    """The dict from each word to its frequency rank (before the `index_from` shift: the word
    of rank 1 appears as id 4 with the default `index_from=3`)."""
    path = file_utils.get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, indexed by the labels `load_data` returns."""
    return LABEL_NAMES
