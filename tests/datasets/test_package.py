"""`lamina.datasets` imports nothing heavy, and each `load_data` has Keras 3.15's signature."""

import inspect
import subprocess
import sys

import pytest

from lamina import datasets

# The signatures of keras.datasets.*.load_data / get_word_index in Keras 3.15.
KERAS_SIGNATURES = {
    "mnist.load_data": "(path='mnist.npz')",
    "fashion_mnist.load_data": "()",
    "cifar10.load_data": "()",
    "cifar100.load_data": "(label_mode='fine')",
    "imdb.load_data": "(path='imdb.npz', num_words=None, skip_top=0, maxlen=None, seed=113, "
                      "start_char=1, oov_char=2, index_from=3, **kwargs)",
    "imdb.get_word_index": "(path='imdb_word_index.json')",
    "reuters.load_data": "(path='reuters.npz', num_words=None, skip_top=0, maxlen=None, "
                         "test_split=0.2, seed=113, start_char=1, oov_char=2, index_from=3)",
    "reuters.get_word_index": "(path='reuters_word_index.json')",
    "reuters.get_label_names": "()",
    "boston_housing.load_data": "(path='boston_housing.npz', test_split=0.2, seed=113)",
    "california_housing.load_data": "(version='large', path='california_housing.npz', "
                                    "test_split=0.2, seed=113)",
}


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_signature_is_keras_s(name):
    module, function = name.split(".")
    assert str(inspect.signature(getattr(getattr(datasets, module), function))) == \
        KERAS_SIGNATURES[name]


def test_importing_the_package_loads_no_data_set():
    code = ("import sys, lamina.datasets as d\n"
            "print(sorted(m for m in sys.modules if m.startswith('lamina.datasets.')))\n"
            "print(sorted(n for n in dir(d) if not n.startswith('_')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "[]"
    assert out[1] == str(["boston_housing", "california_housing", "cifar10", "cifar100",
                          "fashion_mnist", "imdb", "mnist", "pima_indians_diabetes", "reuters"])


def test_unknown_name():
    with pytest.raises(AttributeError, match="has no attribute 'svhn'"):
        datasets.svhn  # noqa: B018
