"""lamina.ops.image. Literals marked "Keras" come from Keras 3.15.1 with the JAX backend; the
others are formulas checked against numpy."""

import numpy as np
import pytest
import torch

from lamina import ops
from lamina.ops import image

# A 4x4 single-channel test image with unevenly spaced values.
X = (np.arange(16, dtype="float32").reshape(1, 4, 4, 1) ** 1.5 / 8)
RGB = np.array([[[[0.2, 0.4, 0.6], [0.9, 0.1, 0.1], [0.5, 0.5, 0.5], [0.3, 0.8, 0.2]]]],
               "float32")


def close(actual, expected, atol=1e-4):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), atol=atol, rtol=1e-4)


def test_image_ops_are_not_flat():
    assert not hasattr(ops, "resize") and not hasattr(ops, "rgb_to_hsv")
    assert "affine_transform" in image.__all__


def test_colour_conversions():
    close(image.rgb_to_grayscale(RGB)[0, 0, :, 0], [0.36298, 0.33911, 0.49995, 0.58207])  # Keras
    hsv = [[0.58333, 0.66667, 0.6], [0.0, 0.88889, 0.9], [0.0, 0.0, 0.5],
           [0.30556, 0.75, 0.8]]  # Keras
    close(image.rgb_to_hsv(RGB)[0, 0], hsv)
    close(image.hsv_to_rgb(image.rgb_to_hsv(RGB)), RGB, atol=1e-5)
    first = np.moveaxis(RGB, -1, 1)
    close(image.rgb_to_hsv(first, data_format="channels_first"), np.moveaxis(
        image.rgb_to_hsv(RGB).numpy(), -1, 1))
    assert image.rgb_to_grayscale((RGB * 255).astype("uint8")).dtype == torch.uint8
    with pytest.raises(ValueError, match="float"):
        image.rgb_to_hsv(np.ones((2, 2, 3), "int32"))


def test_resize_matches_keras():
    close(image.resize(X, (3, 3), antialias=True)[0, ..., 0],
          [[0.36203, 0.65269, 1.04401], [2.05583, 2.64063, 3.27488],
           [4.67423, 5.4416, 6.2468]])  # Keras
    close(image.resize(X, (3, 3), interpolation="bicubic")[0, ..., 0],
          [[0.1086, 0.36363, 0.78134], [1.87792, 2.56393, 3.31629],
           [5.01343, 5.93364, 6.90642]])  # Keras
    close(image.resize(X[:, :2, :2], (3, 3), interpolation="nearest")[0, ..., 0],
          [[0.0, 0.125, 0.125], [1.0, 1.39754, 1.39754], [1.0, 1.39754, 1.39754]])  # Keras
    close(image.resize(X[:, :2, :3], (3, 4), interpolation="lanczos3")[0, ..., 0],
          [[-0.12607, -0.09907, 0.06372, 0.1817], [0.48896, 0.6062, 0.93639, 1.11319],
           [1.10398, 1.31147, 1.80906, 2.04468]])  # Keras


def test_resize_layouts_dtypes_and_aspect():
    x = np.random.default_rng(0).random((2, 6, 9, 3)).astype("float32")
    assert image.resize(x[0], (3, 4)).shape == (3, 4, 3)
    first = image.resize(np.moveaxis(x, -1, 1), (3, 4), data_format="channels_first")
    close(np.moveaxis(first.numpy(), 1, -1), image.resize(x, (3, 4)))
    ints = image.resize((x * 255).astype("uint8"), (3, 4))
    assert ints.dtype == torch.uint8
    assert image.resize(x, (4, 4), crop_to_aspect_ratio=True).shape == (2, 4, 4, 3)
    padded = image.resize(x, (9, 9), pad_to_aspect_ratio=True, fill_value=7.0)
    close(padded[:, 0], np.full((2, 9, 3), 7.0))
    with pytest.raises(ValueError, match="interpolation"):
        image.resize(x, (3, 3), interpolation="area")


def test_pad_and_crop_images():
    x = np.arange(2 * 3 * 4 * 1, dtype="float32").reshape(2, 3, 4, 1)
    padded = image.pad_images(x, 1, 2, target_height=6, target_width=7)
    assert padded.shape == (2, 6, 7, 1)
    close(padded[:, 1:4, 2:6], x)
    assert float(padded.sum()) == float(x.sum())
    close(image.crop_images(padded, 1, 2, target_height=3, target_width=4), x)
    first = np.moveaxis(x, -1, 1)[0]
    close(image.crop_images(first, 1, 1, 0, 2, data_format="channels_first"), first[:, 1:, 1:2])
    with pytest.raises(ValueError, match="exactly two"):
        image.pad_images(x, 1, 1, 1, target_height=5, target_width=6)


def test_affine_transform_matches_keras():
    t = np.array([0.9, 0.2, -0.5, -0.1, 1.1, 0.7, 0, 0], "float32")
    close(image.affine_transform(X, t, fill_mode="reflect")[0, ..., 0],
          [[0.7, 0.71541, 0.86149, 1.02073], [2.46274, 2.58102, 2.84529, 3.11207],
           [4.95938, 5.2343, 5.57271, 5.9127], [5.26244, 5.85902, 6.47901, 7.11905]])  # Keras
    close(image.affine_transform(X, t, interpolation="nearest", fill_value=-1)[0, ..., 0],
          [[-1.0, 1.0, 1.39754, 0.35355], [2.82843, 3.375, 3.95285, 3.95285],
           [5.19615, 5.85902, 6.5479, 7.26184], [-1.0, -1.0, -1.0, -1.0]])  # Keras
    # Translation by one column to the right: output (x, y) reads input (x - 1, y).
    shifted = image.affine_transform(X[0], [1, 0, -1, 0, 1, 0, 0, 0])
    close(shifted[:, 1:], X[0, :, :-1])
    close(shifted[:, 0], 0)


def test_map_coordinates_and_perspective():
    close(image.map_coordinates(X[0, ..., 0], [[-1.5, 2.2, 4.6], [0.3, -2.0, 5.5]], 1,
                                fill_mode="mirror"), [2.05583, 4.47186, 1.95995])  # Keras
    grid = np.arange(12, dtype="float32").reshape(3, 4)
    close(image.map_coordinates(grid, [[0.0, 2.0, 5.0], [1.0, 3.0, 0.0]], 0), [1, 11, 0])
    close(image.map_coordinates(grid, [[0.5], [1.5]], 1), [3.5])
    start = np.array([[0, 0], [3, 0], [0, 3], [3, 3]], "float32")
    end = np.array([[0.5, 0], [3, 0.5], [0, 3], [2.5, 3]], "float32")
    close(image.perspective_transform(X[0], start, end)[..., 0],
          [[0.0479, 0.05643, 0.18154, 0.27369], [0.69932, 1.13531, 1.37974, 1.36889],
           [2.34138, 3.14198, 3.6463, 2.26283], [5.19615, 5.91128, 6.77002, 1.85903]])  # Keras
    close(image.perspective_transform(X, start, start), X, atol=1e-5)


def test_gaussian_blur_and_sobel():
    close(image.gaussian_blur(X, (3, 3), (1.0, 1.0))[0, ..., 0],
          [[0.2443, 0.45549, 0.67448, 0.60109], [0.99043, 1.60607, 2.02241, 1.66886],
           [2.30788, 3.52282, 4.09265, 3.2365], [2.39032, 3.57803, 4.04744, 3.1553]])  # Keras
    close(image.gaussian_blur(X, (3, 1), (1.0, 0.5))[0, ..., 0],
          [[0.03426, 0.15338, 0.37203, 0.39039], [0.83489, 1.40906, 1.84763, 1.54957],
           [2.20304, 3.38357, 3.96098, 3.14401], [3.95372, 5.86615, 6.55477, 5.07593]])  # Keras
    ramp = np.tile(np.arange(5, dtype="float32"), (5, 1))[None, ..., None]  # x-gradient of 1
    edges = image.sobel_edges(ramp)
    assert edges.shape == (1, 5, 5, 1, 2)
    close(edges[0, 1:-1, 1:-1, 0, 1], np.full((3, 3), 8.0))  # d/dx: weights 1+2+1, both sides
    close(edges[0, 1:-1, 1:-1, 0, 0], np.zeros((3, 3)))


def test_ssim():
    y = (np.arange(36, dtype="float32").reshape(1, 6, 6, 1) % 7) / 7
    close(image.ssim(y, y[:, ::-1].copy(), filter_size=3), [-0.07207])  # Keras
    close(image.ssim(y, y, filter_size=3), [1.0])
    assert image.ssim(y[0], y[0], filter_size=3).shape == ()


def test_scale_and_translate():
    out = image.scale_and_translate(X, (1, 3, 2, 1), np.array([0.8, 0.5]), np.array([0.2, 0.1]),
                                    (1, 2), "cubic")
    close(out[0, ..., 0], [[0.03207, 0.42335], [1.33062, 2.13446], [4.15466, 5.29413]])  # Keras
    close(image.scale_and_translate(X, (1, 4, 4, 1), np.ones(2), np.zeros(2), (1, 2), "linear"),
          X)


def test_extract_patches():
    x = np.arange(4 * 6 * 2, dtype="float32").reshape(4, 6, 2)
    patches = image.extract_patches(x, 2)
    assert patches.shape == (2, 3, 8)
    # flattened (row, column, channel)
    close(patches[0, 1], np.concatenate([x[0, 2:4].reshape(-1), x[1, 2:4].reshape(-1)]))
    assert image.extract_patches(x[None], (2, 3), strides=1, padding="same").shape == (1, 4, 6, 12)
    volumes = np.arange(2 * 4 * 4 * 4 * 1, dtype="float32").reshape(2, 4, 4, 4, 1)
    assert image.extract_patches_3d(volumes, 2).shape == (2, 2, 2, 2, 8)
    assert image.extract_patches(volumes, (2, 2, 2)).shape == (2, 2, 2, 2, 8)


def test_elastic_transform_is_seeded_and_keeps_shape():
    x = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    a = image.elastic_transform(x, seed=3)
    assert a.shape == x.shape and a.dtype == torch.float32
    close(image.elastic_transform(x, seed=3), a)
    close(image.elastic_transform(x, alpha=0.0, seed=3), x, atol=1e-5)
