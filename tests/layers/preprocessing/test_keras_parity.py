"""Deterministic preprocessing layers against real Keras 3 (fixtures/make_fixtures.py):
Resizing, CenterCrop, Rescaling, Normalization (fixed and adapted), CategoryEncoding,
Discretization, and the geometric/colour transforms of the random layers with fixed factors."""

import json
import math
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina.layers.preprocessing.category_encoding import CategoryEncoding
from lamina.layers.preprocessing.center_crop import CenterCrop
from lamina.layers.preprocessing.discretization import Discretization
from lamina.layers.preprocessing.normalization import Normalization
from lamina.layers.preprocessing.random_brightness import RandomBrightness
from lamina.layers.preprocessing.random_contrast import RandomContrast
from lamina.layers.preprocessing.random_flip import RandomFlip
from lamina.layers.preprocessing.random_rotation import RandomRotation
from lamina.layers.preprocessing.random_translation import RandomTranslation
from lamina.layers.preprocessing.random_zoom import RandomZoom
from lamina.layers.preprocessing.rescaling import Rescaling
from lamina.layers.preprocessing.resizing import Resizing

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
META = json.loads((FIXTURES / "keras_image_layers.json").read_text())
DATA = np.load(FIXTURES / "keras_image_layers.npz")["data"]
CLASSES = {cls.__name__: cls for cls in (
    CategoryEncoding, CenterCrop, Discretization, Normalization, RandomBrightness,
    RandomContrast, RandomFlip, RandomRotation, RandomTranslation, RandomZoom, Rescaling,
    Resizing)}


def stored(name):
    offset, shape = META["index"][name]
    return DATA[offset:offset + math.prod(shape)].reshape(shape)


def image(shape, dtype):
    """The inputs make_fixtures.py used."""
    values = (np.arange(int(np.prod(shape))) * 37 + 11) % 101
    if dtype == "uint8":
        return (values * 2.5).astype("uint8").reshape(shape)
    return (values / 10.0).astype(dtype).reshape(shape)


def case_input(case):
    if f"{case['id']}/x" in META["index"]:
        return stored(f"{case['id']}/x").astype(case["x_dtype"])
    return image(case["x_shape"], case["x_dtype"])


def make_layer(case):
    kwargs = {k: tuple(v) if isinstance(v, list) and k.endswith("factor") else v
              for k, v in case["kwargs"].items()}
    return CLASSES[case["layer"]](**kwargs)


@pytest.mark.parametrize("case", [c for c in META["cases"] if not c.get("adapt")],
                         ids=lambda c: c["id"])
def test_output_matches_keras(case):
    layer = make_layer(case)
    y = layer(torch.as_tensor(case_input(case)), **case["call"])
    expected = stored(f"{case['id']}/y")
    assert tuple(y.shape) == expected.shape
    assert str(y.dtype).replace("torch.", "") == case["y_dtype"]
    np.testing.assert_allclose(y.numpy().astype(np.float64), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("case", [c for c in META["cases"] if c.get("adapt")],
                         ids=lambda c: c["id"])
def test_normalization_adapt_matches_keras(case):
    x = case_input(case)
    layer = Normalization(axis=case["kwargs"]["axis"])
    layer.adapt(x)
    for i, weight in enumerate(layer.get_weights()):
        np.testing.assert_allclose(weight, stored(f"{case['id']}/w{i}"), atol=1e-6, rtol=1e-5)
    np.testing.assert_allclose(layer(x).numpy(), stored(f"{case['id']}/y"), atol=1e-5)


@pytest.mark.parametrize("case", [c for c in META["cases"] if "config" in c],
                         ids=lambda c: c["layer"])
def test_config_keys_and_values_match_keras(case):
    config = make_layer(case).get_config()
    config.pop("dtype", None)
    keras_config = dict(case["config"])
    for key in ("name", "trainable"):  # Discretization's Keras config lacks "trainable"
        keras_config.pop(key, None)
        config.pop(key, None)
    assert set(config) - {"sparse"} == set(keras_config) - {"sparse"}
    for key, value in keras_config.items():
        mine = config[key]
        if isinstance(value, list):
            mine = list(mine)
        assert mine == value, key


def test_fixtures_cover_every_fill_mode_and_interpolation():
    ids = {c["id"] for c in META["cases"]}
    for mode in ("reflect", "wrap", "constant", "nearest"):
        for interpolation in ("bilinear", "nearest"):
            assert f"rotation_{mode}_{interpolation}" in ids


def test_public_names_resolve():
    for name in ("Normalization", "Resizing", "RandomFlip"):
        assert lamina.registry.serialization.deserialize_keras_object(
            {"class_name": name, "config": make_layer(next(
                c for c in META["cases"] if c["layer"] == name)).get_config()},
            package="layers").__class__.__name__ == name
