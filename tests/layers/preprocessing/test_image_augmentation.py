"""The Keras 3.15 image augmentation layers added on torch: shapes, inference identity,
deterministic numerics against Keras, seeds, configs, symbolic calls and dict inputs."""

import numpy as np
import pytest
import torch

import lamina
import lamina.layers as L

# One 3x2 RGB image (batch of 1), channels last.
X = torch.tensor([[[[10, 200, 30], [250, 5, 90]], [[60, 60, 60], [120, 180, 0]],
                   [[33, 77, 222], [0, 255, 128]]]], dtype=torch.float32)

FACTORIES = {
    "RandomInvert": lambda **k: L.RandomInvert(**k),
    "Solarization": lambda **k: L.Solarization(threshold_factor=0.5, **k),
    "RandomGrayscale": lambda **k: L.RandomGrayscale(**k),
    "AutoContrast": lambda **k: L.AutoContrast(**{n: v for n, v in k.items() if n != "seed"}),
    "Equalization": lambda **k: L.Equalization(**{n: v for n, v in k.items() if n != "seed"}),
    "RandomErasing": lambda **k: L.RandomErasing(**k),
    "RandomGaussianBlur": lambda **k: L.RandomGaussianBlur(kernel_size=(3, 5), **k),
    "RandomShear": lambda **k: L.RandomShear(0.3, 0.2, **k),
    "RandomPerspective": lambda **k: L.RandomPerspective(scale=0.5, **k),
    "RandomColorDegeneration": lambda **k: L.RandomColorDegeneration(0.5, **k),
    "RandomHue": lambda **k: L.RandomHue(0.5, **k),
    "RandomSaturation": lambda **k: L.RandomSaturation((0.3, 0.7), **k),
    "RandomSharpness": lambda **k: L.RandomSharpness(0.5, **k),
    "RandomPosterization": lambda **k: L.RandomPosterization((2, 6), **k),
    "RandomColorJitter": lambda **k: L.RandomColorJitter(
        brightness_factor=0.2, contrast_factor=0.3, saturation_factor=(0.4, 0.6),
        hue_factor=0.2, **k),
    "MixUp": lambda **k: L.MixUp(**k),
    "CutMix": lambda **k: L.CutMix(**k),
}
IMAGES = torch.rand(4, 6, 5, 3) * 255


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_shapes_dtype_symbolic_and_config(name):
    layer = FACTORIES[name](seed=3)
    out = layer(IMAGES)
    assert out.shape == IMAGES.shape and out.dtype == torch.float32
    assert tuple(layer(IMAGES[0]).shape) == (6, 5, 3)  # unbatched
    symbolic = FACTORIES[name](seed=3)(lamina.Input(shape=(6, 5, 3)))
    assert symbolic.shape == (None, 6, 5, 3)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    channels_first = FACTORIES[name](seed=3, data_format="channels_first")
    assert channels_first(IMAGES.permute(0, 3, 1, 2)).shape == (4, 3, 6, 5)


@pytest.mark.parametrize("name", sorted(set(FACTORIES) - {"AutoContrast"}))
def test_inference_is_identity(name):
    layer = FACTORIES[name](seed=1)
    assert torch.equal(layer(IMAGES, training=False), IMAGES)
    model = lamina.Sequential([lamina.Input((6, 5, 3)), FACTORIES[name](seed=1)])
    # predict is inference; model(x) is not: as in Keras 3 (3.15.1 checked), the layer's own
    # `training=True` default applies when nothing above it sets `training`
    np.testing.assert_array_equal(model.predict(IMAGES.numpy(), verbose=0), IMAGES.numpy())
    assert torch.equal(model(IMAGES, training=False), IMAGES)


@pytest.mark.parametrize("name", sorted(set(FACTORIES) - {"AutoContrast", "Equalization"}))
def test_seed_reproducibility(name):
    first = FACTORIES[name](seed=11)(IMAGES)
    second = FACTORIES[name](seed=11)(IMAGES)
    assert torch.equal(first, second)


# Reference values: from Keras 3.15.1, JAX backend, on X (rounded to 4 decimals).
KERAS_REFERENCES = {
    "grayscale": (lambda: L.RandomGrayscale(factor=1.0), 1.0,
                  [[[123.809] * 3, [87.92] * 3], [[59.994] * 3, [141.528] * 3],
                   [[80.3707] * 3, [164.277] * 3]]),
    "auto_contrast": (lambda: L.AutoContrast(), 1.0,
                      [[[10.2, 198.9, 34.4595], [255, 0, 103.3784]],
                       [[61.2, 56.1, 68.9189], [122.4, 178.5, 0]],
                       [[33.66, 73.44, 255], [0, 255, 147.027]]]),
    "equalization": (lambda: L.Equalization(), 1.0,
                     [[[51, 204, 51], [255, 0, 153]], [[153, 51, 102], [204, 153, 0]],
                      [[102, 102, 255], [0, 255, 204]]]),
    "gaussian_blur": (
        lambda: L.RandomGaussianBlur(factor=(1.0, 1.0), sigma=(0.7, 0.7), kernel_size=(3, 5)),
        1.0,
        [[[45.6642, 82.6824, 29.3396], [100.959, 51.1788, 37.131]],
         [[50.0843, 85.6095, 59.3314], [78.5955, 109.7277, 44.0277]],
         [[23.8137, 71.9748, 96.3107], [22.263, 118.1394, 72.0353]]]),
    "sharpness": (lambda: L.RandomSharpness(factor=(0.9, 0.9)), 1.0,
                  [[[0, 255, 35.5385], [255, 0, 128.7692]],
                   [[64.1231, 45.4154, 60.6154], [157.3538, 231.8769, 0]],
                   [[38.1692, 84.4462, 255], [0, 255, 173.6615]]]),
    "posterization": (lambda: L.RandomPosterization(factor=(3, 3)), 1.0,
                      [[[0, 192, 0], [224, 0, 64]], [[32, 32, 32], [96, 160, 0]],
                       [[32, 64, 192], [0, 224, 128]]]),
    "hue_zero_shift": (lambda: L.RandomHue(factor=(0.0, 0.0)), 1.0, X[0].tolist()),
    "saturation": (lambda: L.RandomSaturation(factor=(0.25, 0.25), value_range=(0, 1)),
                   1 / 255,
                   [[[0.5359, 0.7843, 0.5621], [0.9804, 0.6601, 0.7712]],
                    [[0.2353, 0.2353, 0.2353], [0.6275, 0.7059, 0.4706]],
                    [[0.6235, 0.681, 0.8706], [0.6667, 1.0, 0.834]]]),
    "color_degeneration": (lambda: L.RandomColorDegeneration(factor=(0.5, 0.5)), 1.0,
                           [[[66.9045, 161.9045, 76.9045], [168.96, 46.46, 88.96]],
                            [[59.997, 59.997, 59.997], [130.764, 160.764, 70.764]],
                            [[56.6854, 78.6854, 151.1854], [82.1385, 209.6385, 146.1385]]]),
    "crop_upscale": (lambda: L.RandomCrop(4, 2), 1.0,
                     [[[10, 200, 30], [250, 5, 90]], [[41.25, 112.5, 48.75],
                                                      [168.75, 114.375, 33.75]],
                      [[49.875, 66.375, 120.75], [75, 208.125, 48]],
                      [[33, 77, 222], [0, 255, 128]]]),
}


@pytest.mark.parametrize("case", sorted(KERAS_REFERENCES))
def test_deterministic_numerics_match_keras(case):
    factory, scale, expected = KERAS_REFERENCES[case]
    out = factory()(X * scale)
    tolerance = 1e-3 if scale == 1.0 else 1e-4
    np.testing.assert_allclose(out[0].numpy(), np.array(expected), atol=tolerance)


def test_invert_and_solarize_formulas():
    np.testing.assert_allclose(L.RandomInvert(factor=(1.0, 1.0))(X).numpy(), 255 - X.numpy())
    np.testing.assert_allclose(L.Solarization()(X).numpy(), 255 - X.numpy())
    out = L.Solarization(value_range=(0, 1))(X / 255)
    np.testing.assert_allclose(out.numpy(), 1 - X.numpy() / 255, atol=1e-6)
    assert torch.equal(L.RandomInvert(factor=(0.0, 0.0))(X), X)


def test_probabilities_follow_factor():
    batch = torch.rand(4000, 2, 2, 3) * 255
    inverted = (L.RandomInvert(factor=0.5, seed=0)(batch) != batch).flatten(1).any(1)
    assert abs(inverted.float().mean().item() - 0.25) < 0.03  # p ~ U[0, .5]: mean 1/4
    gray = L.RandomGrayscale(factor=0.3, seed=0)(batch)
    assert abs((gray != batch).flatten(1).any(1).float().mean().item() - 0.3) < 0.03


def test_gaussian_blur_kernel_matches_keras_formula():
    from lamina.layers.preprocessing.random_gaussian_blur import blur_kernel

    kernel = blur_kernel((3, 5), torch.tensor([0.7, 1.2]), torch.float64, "cpu")
    gx = np.exp(-0.5 * (np.arange(3) - 1) ** 2 / 0.49)
    gy = np.exp(-0.5 * (np.arange(5) - 2) ** 2 / 1.44)
    np.testing.assert_allclose(kernel.numpy(), np.outer(gy / gy.sum(), gx / gx.sum()))


def test_erasing_and_crop_geometry():
    full = L.RandomErasing(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_value=7.0)(IMAGES)
    assert torch.all(full == 7.0)
    crop = L.RandomCrop(3, 2, seed=0)
    out = crop(IMAGES)
    assert out.shape == (4, 3, 2, 3)
    windows = [IMAGES[:, i:i + 3, j:j + 2] for i in range(4) for j in range(4)]
    assert any(torch.equal(out, w) for w in windows)  # one window for the batch
    assert torch.equal(crop(IMAGES, training=False), IMAGES[:, 1:4, 1:3])  # centre
    assert crop.compute_output_shape((None, 6, 5, 3)) == (None, 3, 2, 3)


def test_shear_and_perspective_without_change_are_identity():
    assert torch.allclose(L.RandomShear(0.0, 0.0)(IMAGES), IMAGES)
    assert torch.allclose(L.RandomPerspective(scale=0.0)(IMAGES), IMAGES, atol=1e-4)
    assert not torch.allclose(L.RandomShear(0.5, seed=0)(IMAGES), IMAGES)


def test_mixup_and_cutmix_mix_labels():
    labels = torch.eye(4)
    for layer in (L.MixUp(alpha=0.5, seed=0), L.CutMix(seed=0)):
        out = layer({"images": IMAGES, "labels": labels})
        assert out["images"].shape == IMAGES.shape
        assert out["labels"].shape == (4, 4)
        np.testing.assert_allclose(out["labels"].sum(1).numpy(), np.ones(4), atol=1e-5)
    mixed = L.MixUp(alpha=0.5, seed=0)(IMAGES)
    assert mixed.min() >= IMAGES.min() - 1e-3 and mixed.max() <= IMAGES.max() + 1e-3
    assert torch.equal(L.CutMix(seed=0)(IMAGES[0]), IMAGES[0])  # single images unchanged


def test_bounding_boxes_refused_where_keras_has_no_transform():
    boxes = {"boxes": torch.zeros(4, 1, 4), "labels": torch.zeros(4, 1)}
    with pytest.raises(NotImplementedError, match="bounding_boxes"):
        L.CutMix()({"images": IMAGES, "bounding_boxes": boxes})
    with pytest.raises(NotImplementedError, match="bounding_boxes"):
        L.CutMix(bounding_box_format="xyxy")({"images": IMAGES, "bounding_boxes": boxes})
    # MixUp mixes masks (and CutMix cuts them): tests/layers/test_mixing_bounding_boxes.py.
    out = L.MixUp(seed=0)({"images": IMAGES, "segmentation_masks": IMAGES[..., :1]})
    assert out["segmentation_masks"].shape == IMAGES[..., :1].shape
    masks = torch.ones(4, 6, 5, 1)
    out = L.RandomInvert(seed=0)({"images": IMAGES, "labels": torch.zeros(4, 2),
                                  "segmentation_masks": masks})
    assert set(out) == {"images", "labels", "segmentation_masks"}
    assert out["segmentation_masks"] is masks  # colour layers leave masks alone, as Keras


def test_argument_validation():
    with pytest.raises(ValueError):
        L.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError):
        L.RandomInvert(factor=1.5)
    with pytest.raises(ValueError):
        L.RandomPosterization(factor=9)
    with pytest.raises(ValueError):
        L.RandomGrayscale(factor=2)
    assert L.RandomPosterization(4).factor == (1, 4)
    assert L.RandomSaturation(0.5).factor == (-0.5, 0.5)  # Keras's shared factor parsing
