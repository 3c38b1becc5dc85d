"""Reshaping layers (Permute, RepeatVector, Cropping*, ZeroPadding*, UpSampling*) against
Keras 3 (fixtures/make_fixtures.py), plus symbolic shapes, gradients, configs and errors."""

import json
import math
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina.layers.reshaping.cropping import Cropping1D, Cropping2D, Cropping3D
from lamina.layers.reshaping.permute import Permute
from lamina.layers.reshaping.repeat_vector import RepeatVector
from lamina.layers.reshaping.up_sampling import UpSampling1D, UpSampling2D, UpSampling3D
from lamina.layers.reshaping.zero_padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
FIXTURE = json.loads((FIXTURES / "keras_reshaping.json").read_text())
DATA = np.load(FIXTURES / "keras_reshaping.npz")["data"]
CLASSES = {cls.__name__: cls for cls in (
    Permute, RepeatVector, Cropping1D, Cropping2D, Cropping3D, ZeroPadding1D, ZeroPadding2D,
    ZeroPadding3D, UpSampling1D, UpSampling2D, UpSampling3D)}


def array(case, name):
    offset, shape = FIXTURE["index"][f"{case['id']}/{name}"]
    return DATA[offset:offset + math.prod(shape)].reshape(shape)


def make(case):
    return CLASSES[case["layer"]](**case["kwargs"])


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["id"])
def test_matches_keras(case):
    y = make(case)(torch.as_tensor(array(case, "x")))
    np.testing.assert_allclose(y.numpy(), array(case, "y"), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["id"])
def test_symbolic_shapes(case):
    x_shape, y_shape = array(case, "x").shape, array(case, "y").shape
    assert make(case)(lamina.Input(shape=x_shape[1:])).shape == (None,) + y_shape[1:]
    # An unknown spatial size stays unknown; the channels stay known.
    if len(x_shape) > 2 and case["layer"] not in ("Permute", "RepeatVector"):
        shape = (None,) + x_shape[2:] if case["kwargs"].get("data_format") != "channels_first" \
            else (x_shape[1], None) + x_shape[3:]
        out = make(case)(lamina.Input(shape=shape)).shape
        unknown_axis = 1 if shape[0] is None else 2
        assert out[unknown_axis] is None


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["id"])
def test_gradients_flow_back_to_the_input(case):
    x = torch.as_tensor(array(case, "x")).clone().requires_grad_(True)
    make(case)(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_bilinear_upsampling_matches_torch_interpolate():
    x = torch.randn(2, 5, 4, 3)
    y = UpSampling2D(size=(2, 3), interpolation="bilinear")(x)
    expected = torch.nn.functional.interpolate(x.permute(0, 3, 1, 2), size=(10, 12),
                                               mode="bilinear", align_corners=False)
    torch.testing.assert_close(y, expected.permute(0, 2, 3, 1))


def test_bicubic_upsampling_has_the_right_shape():
    y = UpSampling2D(size=2, interpolation="bicubic", data_format="channels_first")(
        torch.randn(1, 2, 3, 4))
    assert tuple(y.shape) == (1, 2, 6, 8)


def test_repeat_vector_formula():
    x = torch.randn(2, 3)
    torch.testing.assert_close(RepeatVector(4)(x), x[:, None, :].repeat(1, 4, 1))


def test_configs_have_keras_keys_and_defaults():
    for name, keras_config in FIXTURE["configs"].items():
        cls = CLASSES[name]
        layer = cls((2, 1)) if name == "Permute" else cls(2) if name == "RepeatVector" else cls()
        config = json.loads(json.dumps(layer.get_config()))
        assert set(keras_config) - {"dtype"} <= set(config), name
        for key, value in keras_config.items():
            if key not in ("name", "dtype"):
                assert config[key] == value, (name, key)


@pytest.mark.parametrize("layer", [
    Permute((2, 1)), RepeatVector(3), Cropping1D((1, 2)), Cropping2D(((1, 0), (2, 1))),
    Cropping3D(2, data_format="channels_first"), ZeroPadding1D(3), ZeroPadding2D((1, 2)),
    ZeroPadding3D(((1, 0), (0, 1), (2, 2))), UpSampling1D(4),
    UpSampling2D((2, 3), interpolation="bilinear"), UpSampling3D((1, 2, 3)),
])
def test_config_round_trip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == {**config, "name": clone.name}


def test_bad_arguments_and_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"permutation of 1..n.*dims=\(0, 1\)"):
        Permute((0, 1))
    with pytest.raises(ValueError, match="positive `n`"):
        RepeatVector(0)
    with pytest.raises(ValueError, match=r"must be >= 0.*cropping\[1\]"):
        Cropping2D(((1, 1), (-1, 0)))
    with pytest.raises(ValueError, match="tuple of 3 ints or a tuple of 3"):
        ZeroPadding3D((1, 2))
    with pytest.raises(ValueError, match=r"must be > 0.*size=\(2, 0\)"):
        UpSampling2D((2, 0))
    with pytest.raises(ValueError, match="interpolation in.*lanczos3"):
        UpSampling2D(interpolation="lanczos3")
    with pytest.raises(ValueError, match="cannot crop 4 from axis 1.*at least one element"):
        Cropping1D((2, 2))(torch.zeros(1, 4, 3))
    with pytest.raises(ValueError, match="cannot crop 4 from axis 1"):
        Cropping1D((2, 2))(lamina.Input((4, 3)))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        UpSampling2D()(torch.zeros(1, 2, 3))
