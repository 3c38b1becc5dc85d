"""`lamina.preprocessing.text` (the Keras 2 `Tokenizer` and friends) against what Keras's own
copy of that code returned, recorded in tests/fixtures/keras2_text/keras_text.json by
make_fixtures.py there; Keras is not needed to run these tests."""

import json
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

from lamina.preprocessing import text

FACTS = json.loads((pathlib.Path(__file__).parents[1] / "fixtures" / "keras2_text" /
                    "keras_text.json").read_text(encoding="utf-8"))
CASES = FACTS["tokenizers"]
MODES = ("binary", "count", "tfidf", "freq")
# The same table as make_fixtures.py: the fixture names analyzers, it cannot hold callables.
ANALYZERS = {"dash_split": lambda s: s.split("-")}

quiet = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _with_analyzer(kwargs):
    kwargs = dict(kwargs)
    if "analyzer" in kwargs:
        kwargs["analyzer"] = ANALYZERS[kwargs["analyzer"]]
    return kwargs


def _fitted(case):
    tokenizer = text.Tokenizer(**_with_analyzer(case["kwargs"]))
    tokenizer.fit_on_texts(case["fit_texts"])
    return tokenizer


def _int_keys(mapping):
    return {int(k): v for k, v in mapping.items()}


def _assert_matrices(tokenizer, texts, recorded):
    for mode in MODES:
        np.testing.assert_allclose(tokenizer.texts_to_matrix(texts, mode=mode),
                                   np.array(recorded[mode]), rtol=0, atol=1e-6, err_msg=mode)


def _extra_sequences(case):
    return case["texts_to_sequences"] + [[0, 1, 2, 99], [3, 3, 1], [], [4, 5, 6, 7, 8]]


@quiet
@pytest.mark.parametrize("input_text, kwargs, expected", FACTS["text_to_word_sequence"])
def test_text_to_word_sequence_matches_keras(input_text, kwargs, expected):
    assert text.text_to_word_sequence(input_text, **kwargs) == expected


@quiet
@pytest.mark.parametrize("input_text, n, kwargs, expected", FACTS["hashing_trick_md5"])
def test_md5_hashing_trick_matches_keras(input_text, n, kwargs, expected):
    assert text.hashing_trick(input_text, n, hash_function="md5",
                              **_with_analyzer(kwargs)) == expected


@quiet
def test_python_hash_gives_indices_in_range_and_stable_within_a_process():
    # Python's str hash is salted per process, so Keras's values cannot be recorded: check the
    # contract instead (1 .. n-1, same word same index, one_hot is hashing_trick with `hash`).
    words = "The cat sat on the mat the end".split()
    indices = text.one_hot(" ".join(words), 7)
    assert indices == text.hashing_trick(" ".join(words), 7)
    assert indices == [hash(w.lower()) % 6 + 1 for w in words]
    assert all(1 <= i <= 6 for i in indices)
    assert indices[0] == indices[4] == indices[6]


@quiet
@pytest.mark.parametrize("name", sorted(CASES))
def test_fitted_vocabulary_matches_keras(name):
    case = CASES[name]
    tokenizer = _fitted(case)
    assert [list(pair) for pair in tokenizer.word_counts.items()] == case["word_counts"]
    assert dict(tokenizer.word_docs) == case["word_docs"]
    assert list(tokenizer.word_index.items()) == list(case["word_index"].items())
    assert tokenizer.index_word == _int_keys(case["index_word"])
    assert dict(tokenizer.index_docs) == _int_keys(case["index_docs"])
    assert tokenizer.document_count == case["document_count"]
    assert tokenizer.num_words == case["num_words"]


@quiet
@pytest.mark.parametrize("name", sorted(CASES))
def test_conversions_match_keras(name):
    case = CASES[name]
    tokenizer = _fitted(case)
    assert tokenizer.texts_to_sequences(case["texts"]) == case["texts_to_sequences"]
    assert list(tokenizer.texts_to_sequences_generator(case["texts"])) == \
        case["texts_to_sequences"]
    sequences = _extra_sequences(case)
    assert tokenizer.sequences_to_texts(sequences) == case["sequences_to_texts"]
    assert list(tokenizer.sequences_to_texts_generator(sequences)) == case["sequences_to_texts"]
    _assert_matrices(tokenizer, case["texts"], case["texts_to_matrix"])


@quiet
@pytest.mark.parametrize("name", sorted(CASES))
def test_config_matches_keras(name):
    case = CASES[name]
    ours, theirs = _fitted(case).get_config(), case["config"]
    assert ours.keys() == theirs.keys()
    # Keras fills word_docs from a set, so their order in the JSON strings is arbitrary.
    unordered = ("word_docs", "index_docs")
    assert {k: v for k, v in ours.items() if k not in unordered} == \
        {k: v for k, v in theirs.items() if k not in unordered}
    for key in unordered:
        assert json.loads(ours[key]) == json.loads(theirs[key])


@quiet
@pytest.mark.parametrize("source", ["lamina", "keras"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_tokenizer_from_json_round_trip_matches_keras(name, source):
    """A tokenizer saved by lamina, or by Keras (a file from an old project), loads and converts
    like Keras's reloaded one."""
    case = CASES[name]
    saved = _fitted(case).to_json() if source == "lamina" else case["json"]
    reloaded = text.tokenizer_from_json(saved)
    assert reloaded.texts_to_sequences(case["texts"]) == case["reloaded_texts_to_sequences"]
    assert reloaded.sequences_to_texts(_extra_sequences(case)) == \
        case["reloaded_sequences_to_texts"]
    _assert_matrices(reloaded, case["texts"], case["reloaded_texts_to_matrix"])


@quiet
def test_fit_on_sequences_and_sequences_to_matrix_match_keras():
    case = FACTS["fit_on_sequences"]
    tokenizer = text.Tokenizer(num_words=6)
    tokenizer.fit_on_sequences(case["sequences"])
    assert tokenizer.document_count == case["document_count"]
    assert dict(tokenizer.index_docs) == _int_keys(case["index_docs"])
    for mode in MODES:
        np.testing.assert_allclose(tokenizer.sequences_to_matrix(case["sequences"], mode=mode),
                                   np.array(case["matrix"][mode]), rtol=0, atol=1e-6)
    # numpy rows work too (Keras's `if not seq` fails on them).
    rows = [np.array(seq, dtype=np.int64) for seq in case["sequences"]]
    np.testing.assert_allclose(tokenizer.sequences_to_matrix(rows, mode="count"),
                               np.array(case["matrix"]["count"]), rtol=0, atol=1e-6)


@quiet
def test_a_reloaded_tokenizer_can_keep_fitting():
    tokenizer = text.Tokenizer(oov_token="<OOV>")
    tokenizer.fit_on_texts(["a b b", "c"])
    reloaded = text.tokenizer_from_json(tokenizer.to_json())
    reloaded.fit_on_texts(["d d d", "a"])
    tokenizer.fit_on_texts(["d d d", "a"])
    assert reloaded.get_config() == tokenizer.get_config()
    reloaded.fit_on_sequences([[1, 9]])
    assert reloaded.index_docs[9] == 1


@quiet
def test_an_unfitted_tokenizer_with_oov_token_drops_unknown_words():
    # Keras gives [[None, None]] here (and a KeyError in sequences_to_texts): nothing is known yet.
    tokenizer = text.Tokenizer(oov_token="<OOV>")
    assert tokenizer.texts_to_sequences(["a b"]) == [[]]
    assert tokenizer.sequences_to_texts([[1, 2]]) == [""]


CALLS = {
    "text_to_word_sequence": lambda: text.text_to_word_sequence("a b"),
    "one_hot": lambda: text.one_hot("a b", 5),
    "hashing_trick": lambda: text.hashing_trick("a b", 5, hash_function="md5"),
    "Tokenizer": lambda: text.Tokenizer(),
    "tokenizer_from_json": lambda: text.tokenizer_from_json(
        json.dumps({"class_name": "Tokenizer", "config": CASES["default"]["config"]})),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_public_name_warns_once_per_call_and_names_the_replacement(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CALLS[name]()
    assert [w.category for w in caught] == [DeprecationWarning]
    message = str(caught[0].message)
    assert f"`{name}`" in message and "Keras 2" in message and "TextVectorization" in message
    assert caught[0].filename == __file__  # points at the caller, not at lamina


def test_methods_do_not_warn_again():
    with pytest.warns(DeprecationWarning):
        tokenizer = text.Tokenizer(num_words=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tokenizer.fit_on_texts(["a b", "b c"])
        tokenizer.texts_to_matrix(["a c"], mode="tfidf")
        tokenizer.sequences_to_texts(tokenizer.texts_to_sequences(["a"]))
        tokenizer.to_json()


def test_nb_words_is_accepted_as_num_words_with_a_warning():
    with pytest.warns(DeprecationWarning) as caught:
        tokenizer = text.Tokenizer(nb_words=3)
    assert tokenizer.num_words == 3 == CASES["nb_words"]["num_words"]
    assert any("num_words" in str(w.message) for w in caught)


@quiet
def test_unknown_keyword_names_the_valid_ones():
    with pytest.raises(TypeError, match=r"\['bogus'\].*num_words, filters.*document_count"):
        text.Tokenizer(bogus=1)


@quiet
def test_errors_say_what_to_do():
    with pytest.raises(ValueError, match=r"fit_on_texts.*num_words"):
        text.Tokenizer().texts_to_matrix(["a b"])
    with pytest.raises(ValueError, match=r"fit_on_texts.*fit_on_sequences"):
        text.Tokenizer(num_words=4).sequences_to_matrix([[1]], mode="tfidf")
    tokenizer = text.Tokenizer()
    tokenizer.fit_on_texts(["a b"])
    with pytest.raises(ValueError, match=r"'onehot'.*binary, count, tfidf, freq"):
        tokenizer.texts_to_matrix(["a"], mode="onehot")
    with pytest.raises(ValueError, match=r"'onehot'.*binary, count, tfidf, freq"):
        tokenizer.sequences_to_matrix([[]], mode="onehot")  # even with nothing to count
    with pytest.raises(ValueError, match=r"'sha1'.*None.*'md5'.*callable"):
        text.hashing_trick("a", 5, hash_function="sha1")
    with pytest.raises(ValueError, match=r"n >= 2"):
        text.one_hot("a", 1)


@quiet
def test_namespace_and_keras2_import_path_resolve():
    import lamina

    assert lamina.preprocessing.text is text
    assert "text" in dir(lamina.preprocessing)
    # In a fresh process: the alias must be installed before any `import keras`.
    program = ("import warnings; warnings.simplefilter('error')\n"
               "from lamina.testing import keras_alias; keras_alias.install()\n"
               "from keras.preprocessing.text import Tokenizer\n"
               "try:\n    Tokenizer(num_words=20)\nexcept DeprecationWarning as w:\n"
               "    assert 'TextVectorization' in str(w)\n"
               "warnings.simplefilter('ignore')\n"
               "t = Tokenizer(num_words=20); t.fit_on_texts(['the cat sat'])\n"
               "print(t.texts_to_sequences(['the cat']))\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            cwd=pathlib.Path(__file__).parents[2], check=True)
    assert result.stdout.strip() == "[[1, 2]]"
