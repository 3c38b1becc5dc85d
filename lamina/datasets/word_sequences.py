"""From the stored word ranks of IMDB and Reuters to the sequences `load_data` returns.

Both files store each text as a list of word ranks (1 = the most frequent word). `load_data`
shifts the ranks by `index_from` (freeing small ids for padding, start and out-of-vocabulary),
puts `start_char` in front, drops long texts and replaces rare or too-frequent words. The rules
below are Keras's, kept exactly so the same arguments give the same arrays; where they are
surprising, a comment says so.
"""

import numpy as np


def shuffle_order(rng, length):
    """Keras's permutation: `np.arange(length)` shuffled in place by a `RandomState`."""
    indices = np.arange(length)
    rng.shuffle(indices)
    return indices


def shift_and_mark(sequences, start_char, index_from):
    """Adds `index_from` to every rank and puts `start_char` (unless None) in front."""
    head = [] if start_char is None else [start_char]
    return [head + [int(word) + index_from for word in sequence] for sequence in sequences]


def drop_long(maxlen, sequences, labels):
    """Keeps the texts shorter than `maxlen` (Keras drops, not truncates, and drops len == maxlen
    too); returns lists."""
    kept = [(sequence, label) for sequence, label in zip(sequences, labels)
            if len(sequence) < maxlen]
    return [sequence for sequence, _ in kept], [label for _, label in kept]


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Replaces (or, if `oov_char` is None, removes) every id outside `[skip_top, num_words)`.

    Without `num_words`, Keras takes the largest id present as the bound, which is exclusive, so
    that one word also becomes `oov_char`; kept for identical results. The bounds apply to the
    shifted ids, so `skip_top` also catches `start_char` when it is smaller.
    """
    if not num_words:
        num_words = max((max(sequence) for sequence in sequences if sequence), default=0)
    if oov_char is not None:
        return [[word if skip_top <= word < num_words else oov_char for word in sequence]
                for sequence in sequences]
    return [[word for word in sequence if skip_top <= word < num_words]
            for sequence in sequences]


def object_array(sequences):
    """A 1-D numpy array of lists (numpy would make a 2-D array of equal-length lists)."""
    array = np.empty(len(sequences), dtype=object)
    for i, sequence in enumerate(sequences):
        array[i] = sequence
    return array
