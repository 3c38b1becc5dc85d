"""Hashing, StringLookup, IntegerLookup, TextVectorization and Discretization.adapt against
Keras 3 running on TensorFlow (fixtures/make_tf_fixtures.py): bins, indices, encodings,
adapted vocabularies and bin boundaries."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina.layers.preprocessing.discretization import Discretization
from lamina.layers.preprocessing.hashing import Hashing
from lamina.layers.preprocessing.integer_lookup import IntegerLookup
from lamina.layers.preprocessing.string_hashing import fingerprint64, siphash24
from lamina.layers.preprocessing.string_lookup import StringLookup
from lamina.layers.preprocessing.text_vectorization import TextVectorization

CASES = json.loads((pathlib.Path(__file__).parent / "fixtures" / "keras_text_layers.json")
                   .read_text(encoding="utf-8"))
CLASSES = {cls.__name__: cls for cls in (Discretization, Hashing, IntegerLookup, StringLookup,
                                         TextVectorization)}


def build(case):
    kwargs = dict(case["kwargs"])
    if isinstance(kwargs.get("ngrams"), list):
        kwargs["ngrams"] = tuple(kwargs["ngrams"])
    layer = CLASSES[case["layer"]](**kwargs)
    if case["adapt"] is not None:
        data = case["adapt"]
        layer.adapt(data if case["layer"] == "TextVectorization" else np.array(data))
    return layer


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_outputs_match_keras(case):
    layer = build(case)
    x = np.array(case["x"])
    y = layer(x if x.dtype.kind in "US" else torch.as_tensor(x))
    np.testing.assert_allclose(np.asarray(y, dtype=np.float64), np.array(case["y"], np.float64),
                               rtol=1e-6, atol=1e-6)
    if "vocabulary" in case:
        assert layer.get_vocabulary() == case["vocabulary"]
    if "bin_boundaries" in case:
        np.testing.assert_allclose(layer.bin_boundaries, case["bin_boundaries"], rtol=1e-6)


@pytest.mark.parametrize("case", [c for c in CASES if "config" in c], ids=lambda c: c["layer"])
def test_config_keys_match_keras(case):
    config = build(case).get_config()
    keras_config = case["config"]
    extra = {"has_input_vocabulary", "trainable"}  # lamina's adapted-vocabulary marker
    assert set(config) - extra - {"dtype"} == set(keras_config) - extra
    for key in ("output_mode", "max_tokens", "num_oov_indices", "oov_token", "mask_token",
                "num_bins", "salt", "standardize", "split", "vocabulary_size"):
        if key in keras_config:
            assert config[key] == keras_config[key], key


def test_hashes_of_known_strings():
    # Published FarmHash / SipHash-2-4 reference values.
    assert fingerprint64(b"") == 0x9AE16A3B2F90404F
    key = (0x0706050403020100, 0x0F0E0D0C0B0A0908)
    assert siphash24(key, bytes(range(15))) == 0xA129CA6149BE45E5
    assert siphash24(key, b"") == 0x726FDB47DD0E0E31
