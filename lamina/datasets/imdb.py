"""The IMDB movie review sentiment data set: 25,000 training and 25,000 test reviews.

Each review is a list of word ids, words ranked by frequency in the data (so `num_words=10000`
keeps the 10,000 most frequent); each label is 1 (positive) or 0 (negative). Downloaded once
from Keras's bucket into `~/.keras/datasets/` (see `lamina.utils.get_file` for the cache).
"""

import json

import numpy as np

from lamina.datasets import safe_pickle
from lamina.datasets import word_sequences
from lamina.utils import file_utils
from lamina.utils.arguments import warn_deprecated

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_ORIGIN = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json"
)
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"  # md5, as Keras checks it


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
              oov_char=2, index_from=3, **kwargs):
    """Loads the IMDB reviews as word-id sequences.

    Args:
        path: the file's name in the cache folder (`~/.keras/datasets/`).
        num_words: keep the `num_words` most frequent words (ids below `num_words` after the
            shift by `index_from`); the others become `oov_char`. None keeps all.
        skip_top: also replace the ids below `skip_top` (the most frequent words) by `oov_char`.
        maxlen: drop the reviews of `maxlen` ids or more (counting `start_char`). None keeps all.
        seed: seed of the shuffle of each split (numpy `RandomState`, as Keras).
        start_char: id put at the start of every review (None: nothing is added).
        oov_char: id replacing the words cut by `num_words` / `skip_top` (None: they are removed).
        index_from: added to every word rank, keeping ids `0..index_from-1` free (0 = padding).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x_*` 1-D object arrays of lists of int ids,
        `y_*` int arrays of 0/1 labels; 25,000 reviews each.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)
        >>> x_train = lamina.utils.pad_sequences(x_train, maxlen=200)
    """
    if "nb_words" in kwargs:  # Keras 1's name, which Keras 2 still took with a warning
        if num_words is not None:
            raise TypeError("imdb.load_data: pass either `nb_words` or `num_words`, not both.")
        warn_deprecated("nb_words", "num_words", "imdb.load_data()")
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"imdb.load_data got unexpected arguments {sorted(kwargs)}; it takes "
                        "path, num_words, skip_top, maxlen, seed, start_char, oov_char and "
                        "index_from.")
    path = file_utils.get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    arrays = safe_pickle.load_npz(path)

    # Train then test, shuffled one after the other by the same generator.
    rng = np.random.RandomState(seed)
    order = word_sequences.shuffle_order(rng, len(arrays["x_train"]))
    x_train, y_train = arrays["x_train"][order], arrays["y_train"][order]
    order = word_sequences.shuffle_order(rng, len(arrays["x_test"]))
    x_test, y_test = arrays["x_test"][order], arrays["y_test"][order]

    x_train = word_sequences.shift_and_mark(x_train, start_char, index_from)
    x_test = word_sequences.shift_and_mark(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = word_sequences.drop_long(maxlen, x_train, y_train)
        x_test, y_test = word_sequences.drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(
                f"imdb.load_data: no review is shorter than maxlen={maxlen} in one of the "
                "splits, so nothing would be left. Increase `maxlen` (or pass None)."
            )
    sequences = word_sequences.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    split = len(x_train)
    return ((word_sequences.object_array(sequences[:split]), labels[:split]),
            (word_sequences.object_array(sequences[split:]), labels[split:]))


def get_word_index(path="imdb_word_index.json"):
    """The dict from each word to its frequency rank (before the `index_from` shift).

    Example (decoding a review):
        >>> index = {rank + 3: word for word, rank in imdb.get_word_index().items()}
        >>> " ".join(index.get(i, "?") for i in x_train[0])
    """
    path = file_utils.get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)
    with open(path, encoding="utf-8") as f:
        return json.load(f)
