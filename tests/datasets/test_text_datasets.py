"""IMDB and Reuters: lamina's `load_data` equals Keras's on the same (small, synthetic) files.

`tests/fixtures/datasets/keras_text.json` holds what Keras 3.15's `load_data` returned on
`imdb.npz` / `reuters.npz` for each set of arguments (see `make_keras_fixtures.py`): the shuffle
order, `start_char`, `index_from`, `num_words`, `skip_top`, `oov_char`, `maxlen`, `test_split`.
"""

import json
import pathlib

import numpy as np
import pytest

from lamina.datasets import imdb, reuters

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "datasets"

KERAS = json.loads((FIXTURES / "keras_text.json").read_text())


def as_lists(array):
    return [list(x) for x in array]


def check_against_keras(result, expected):
    (x_train, y_train), (x_test, y_test) = result
    for x in (x_train, x_test):
        assert x.dtype == object and x.ndim == expected["x_ndim"] == 1
        assert all(type(x_i) is list and all(type(w) is int for w in x_i) for x_i in x)
    assert as_lists(x_train) == expected["x_train"]
    assert as_lists(x_test) == expected["x_test"]
    assert y_train.dtype == y_test.dtype == np.dtype(expected["y_dtype"])
    assert y_train.tolist() == expected["y_train"]
    assert y_test.tolist() == expected["y_test"]


@pytest.mark.parametrize("case", sorted(KERAS["imdb"]))
def test_imdb_equals_keras(install, case):
    install(imdb, "imdb.npz", FIXTURES / "imdb.npz")
    expected = KERAS["imdb"][case]
    check_against_keras(imdb.load_data(**expected["kwargs"]), expected)


@pytest.mark.parametrize("case", sorted(KERAS["reuters"]))
def test_reuters_equals_keras(install, case):
    install(reuters, "reuters.npz", FIXTURES / "reuters.npz")
    expected = KERAS["reuters"][case]
    check_against_keras(reuters.load_data(**expected["kwargs"]), expected)


def test_imdb_transformation_by_hand(install, tmp_path):
    """Independent of Keras: the rule written out for one review (seed-free: one per split)."""
    x = np.empty(1, dtype=object)
    x[0] = [1, 5, 2, 9]
    np.savez(tmp_path / "tiny.npz", x_train=x, y_train=np.array([1]), x_test=x,
             y_test=np.array([0]))
    install(imdb, "imdb.npz", tmp_path / "tiny.npz")
    (x_train, y_train), _ = imdb.load_data(num_words=10, skip_top=5, start_char=1, oov_char=2,
                                           index_from=3)
    # ranks + 3 = [4, 8, 5, 12]; kept if 5 <= id < 10, else 2; start_char 1 < skip_top -> 2
    assert x_train[0] == [2, 2, 8, 5, 2]
    assert y_train.tolist() == [1]


def test_imdb_errors(install):
    install(imdb, "imdb.npz", FIXTURES / "imdb.npz")
    with pytest.raises(ValueError, match="no review is shorter than maxlen=2"):
        imdb.load_data(maxlen=2)
    # Keras 1's nb_words is num_words with a warning (Keras 2 did so; Keras 3 ignores it)
    with pytest.warns(DeprecationWarning, match="`nb_words`.*`num_words`"):
        old = imdb.load_data(nb_words=100)
    new = imdb.load_data(num_words=100)
    assert [list(x) for x in old[0][0][:3]] == [list(x) for x in new[0][0][:3]]
    with pytest.raises(TypeError, match=r"unexpected arguments \['test_split'\]"):
        imdb.load_data(test_split=0.1)


def test_reuters_errors_and_label_names(install):
    install(reuters, "reuters.npz", FIXTURES / "reuters.npz")
    with pytest.raises(ValueError, match="no newswire is shorter than maxlen=2"):
        reuters.load_data(maxlen=2)
    with pytest.raises(ValueError, match="test_split=1.5"):
        reuters.load_data(test_split=1.5)
    names = reuters.get_label_names()
    assert len(names) == 46 and names[:3] == ("cocoa", "grain", "veg-oil") and names[-1] == "lead"


@pytest.mark.parametrize("module", [imdb, reuters])
def test_get_word_index_reads_the_cached_json(install, module):
    name = "imdb_word_index.json" if module is imdb else "reuters_word_index.json"
    install(module, name, json.dumps({"the": 1, "and": 2}).encode(), "WORD_INDEX_HASH")
    assert module.get_word_index() == {"the": 1, "and": 2}


def test_hashes_and_origins_are_keras_s():
    assert imdb.FILE_HASH.startswith("69664113be75") and imdb.ORIGIN.endswith("/imdb.npz")
    assert reuters.FILE_HASH.startswith("d6586e694ee5") and reuters.ORIGIN.endswith("/reuters.npz")
