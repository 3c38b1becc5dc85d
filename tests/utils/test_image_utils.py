"""load_img / img_to_array / array_to_img / save_img / smart_resize against Keras's results.

Fixtures: tests/fixtures/utils_data/make_fixtures.py (Keras 3.15.1 on JAX, Pillow).
"""

import builtins
import io
import pathlib

import numpy as np
import pytest
import torch

from lamina.utils import image_utils

PIL = pytest.importorskip("PIL.Image")

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "utils_data"
KERAS = dict(np.load(FIXTURES / "keras_images.npz"))


@pytest.fixture
def images(tmp_path):
    """The fixture's source images written as PNG files (lossless: same pixels)."""
    paths = {}
    for key, pixels in KERAS.items():
        if key.startswith("source/"):
            name = key.split("/", 1)[1]
            paths[name] = tmp_path / f"{name}.png"
            PIL.fromarray(pixels).save(paths[name])
    return paths


SMART_CASES = {
    "f_5x7x2_to_3x3": ((3, 3), {}),
    "f_4x6x1_to_4x3_bicubic": ((4, 3), {"interpolation": "bicubic"}),
    "f_2x6x4x3_to_3x5_nearest": ((3, 5), {"interpolation": "nearest"}),
    "f_3x5x4_to_2x2_channels_first": ((2, 2), {"data_format": "channels_first"}),
    "f_9x4x3_to_6x6": ((6, 6), {}),
}


@pytest.mark.parametrize("name", sorted(SMART_CASES))
def test_smart_resize_matches_keras(name):
    size, kwargs = SMART_CASES[name]
    result = image_utils.smart_resize(KERAS[f"smart_input/{name}"], size, **kwargs)
    assert isinstance(result, np.ndarray) and result.dtype == np.float32
    np.testing.assert_allclose(result, KERAS[f"smart_output/{name}"], atol=1e-5)


def test_smart_resize_keeps_tensors_and_integer_dtypes():
    tensor = torch.from_numpy(KERAS["smart_input/f_9x4x3_to_6x6"])
    result = image_utils.smart_resize(tensor, (6, 6))
    assert isinstance(result, torch.Tensor)
    np.testing.assert_allclose(result.numpy(), KERAS["smart_output/f_9x4x3_to_6x6"], atol=1e-5)
    # uint8 in, uint8 out, rounded (Keras on torch does this; on JAX it returns the floats).
    result = image_utils.smart_resize(KERAS["smart_input/u8_6x8x3_to_4x4"], (4, 4))
    assert result.dtype == np.uint8
    assert np.abs(result - KERAS["smart_output/u8_6x8x3_to_4x4"]).max() <= 0.5


def test_smart_resize_errors():
    with pytest.raises(ValueError, match="Received shape"):
        image_utils.smart_resize(np.zeros((4, 4)), (2, 2))
    with pytest.raises(ValueError, match="size"):
        image_utils.smart_resize(np.zeros((4, 4, 1)), (2, 2, 2))
    with pytest.raises(TypeError, match="backend_module"):
        image_utils.smart_resize(np.zeros((4, 4, 1)), (2, 2), backend_module=None)


@pytest.mark.parametrize("name, source, kwargs, to_array", [
    ("rgb_full", "rgb_5x7", {}, {}),
    ("rgb_3x4_nearest", "rgb_5x7", {"target_size": (3, 4)}, {}),
    ("rgb_3x4_bilinear", "rgb_5x7", {"target_size": (3, 4), "interpolation": "bilinear"}, {}),
    ("rgb_4x4_keep_aspect_bicubic", "rgb_5x7", {"target_size": (4, 4),
                                                "interpolation": "bicubic",
                                                "keep_aspect_ratio": True}, {}),
    ("rgb_as_gray", "rgb_5x7", {"color_mode": "grayscale"}, {}),
    ("gray_as_rgba_channels_first", "gray_4x6", {"color_mode": "rgba"},
     {"data_format": "channels_first"}),
])
def test_load_img_and_img_to_array_match_keras(images, name, source, kwargs, to_array):
    array = image_utils.img_to_array(image_utils.load_img(images[source], **kwargs), **to_array)
    assert array.dtype == np.float32
    np.testing.assert_array_equal(array, KERAS[f"load_img/{name}"])


def test_load_img_accepts_paths_of_each_kind(images):
    path = images["rgb_5x7"]
    expected = KERAS["load_img/rgb_full"]
    for source in (str(path), path, str(path).encode(), io.BytesIO(path.read_bytes())):
        np.testing.assert_array_equal(image_utils.img_to_array(image_utils.load_img(source)),
                                      expected)
    with pytest.raises(TypeError, match="io.BytesIO"):
        image_utils.load_img(3)
    with pytest.raises(ValueError, match="color_mode"):
        image_utils.load_img(path, color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation"):
        image_utils.load_img(path, target_size=(2, 2), interpolation="cubic")


def test_array_to_img_matches_keras():
    x = KERAS["array_to_img/input"]
    np.testing.assert_array_equal(np.asarray(image_utils.array_to_img(x)),
                                  KERAS["array_to_img/scaled"])
    np.testing.assert_array_equal(np.asarray(image_utils.array_to_img(x * 30 + 60, scale=False)),
                                  KERAS["array_to_img/unscaled"])
    assert image_utils.array_to_img(np.zeros((2, 2, 1))).mode == "L"
    assert image_utils.array_to_img(np.full((2, 2, 1), 300.0), scale=False).mode == "I"
    assert image_utils.array_to_img(torch.zeros(4, 2, 3), data_format="channels_first").size \
        == (3, 2)
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        image_utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="rank 3"):
        image_utils.array_to_img(np.zeros((2, 2)))


def test_save_img_round_trip(tmp_path):
    pixels = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3) * 10
    image_utils.save_img(tmp_path / "a.png", pixels, scale=False)
    loaded = image_utils.img_to_array(image_utils.load_img(tmp_path / "a.png"))
    np.testing.assert_array_equal(loaded, pixels)
    buffer = io.BytesIO()
    image_utils.save_img(buffer, pixels, file_format="png", scale=False)
    assert buffer.getvalue().startswith(b"\x89PNG")
    with pytest.warns(UserWarning, match="JPEG has no alpha"):
        image_utils.save_img(tmp_path / "b.jpg", np.zeros((2, 2, 4)))
    assert image_utils.load_img(tmp_path / "b.jpg").size == (2, 2)


def test_missing_pillow_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ImportError, match=r"load_img\(\) needs Pillow.*pip install pillow"):
        image_utils.load_img("x.png")
