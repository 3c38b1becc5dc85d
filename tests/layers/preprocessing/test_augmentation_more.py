"""MaxNumBoundingBoxes, RandomElasticTransform, RandAugment, AugMix and CLAHE.

Deterministic parts are compared with Keras 3 on the fixtures of
tests/fixtures/augmentation_more/ (made by make_fixture.py there); random parts by their
properties (shapes, value ranges, seeded reproducibility, identity in inference)."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import layers, models
from lamina.layers.preprocessing.random_elastic_transform import (elastic_parameters,
                                                                  elastic_warp)

FIXTURES = pathlib.Path(__file__).parents[2] / "fixtures" / "augmentation_more"
REF = dict(np.load(FIXTURES / "reference.npz"))
CONFIGS = json.loads((FIXTURES / "configs.json").read_text())
IGNORED_KEYS = {"name", "dtype", "trainable"}


def _kwargs(raw):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}


def _same_config(lamina_config, keras_config):
    ours = {k: v for k, v in lamina_config.items() if k not in IGNORED_KEYS}
    theirs = {k: v for k, v in keras_config.items() if k not in IGNORED_KEYS}
    assert json.loads(json.dumps(ours)) == theirs


def _images(shape=(2, 12, 12, 3), high=255.0, seed=0):
    return np.random.RandomState(seed).uniform(0, high, shape).astype("float32")


# ---------------------------------------------------------------- MaxNumBoundingBoxes
@pytest.mark.parametrize("number, fill", [(5, -1), (2, -1), (4, 7)])
def test_max_num_bounding_boxes_pads_and_truncates_as_keras(number, fill):
    layer = layers.MaxNumBoundingBoxes(number, fill_value=fill, bounding_box_format="xyxy")
    images = np.zeros((2, 4, 4, 3), "float32")
    out = layer({"images": images, "bounding_boxes": {"boxes": REF["boxes_in"],
                                                      "labels": REF["labels_in"]}})
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"].numpy(),
                                  REF[f"boxes_{number}_{fill}"])
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"].numpy(),
                                  REF[f"labels_{number}_{fill}"])
    np.testing.assert_array_equal(out["images"].numpy(), images)


def test_max_num_bounding_boxes_unbatched_inference_and_errors():
    layer = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    layer.eval()  # not random: inference changes nothing
    out = layer({"images": np.zeros((4, 4, 3), "float32"),
                 "bounding_boxes": {"boxes": REF["boxes_in"][0, :1], "labels": [7]}})
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"].numpy(), [7, -1, -1])
    assert out["bounding_boxes"]["boxes"].shape == (3, 4)
    images = torch.ones(1, 4, 4, 3)
    assert layers.MaxNumBoundingBoxes(2)(images) is images
    with pytest.raises(ValueError, match="bounding_box_format"):
        layers.MaxNumBoundingBoxes(2)({"images": images, "bounding_boxes": {
            "boxes": np.zeros((1, 1, 4)), "labels": np.zeros((1, 1))}})
    with pytest.raises(ValueError, match="boxes' and 'labels'"):
        layer({"images": images, "bounding_boxes": {"boxes": np.zeros((1, 1, 4))}})


def test_max_num_bounding_boxes_config_and_shape():
    layer = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    config = layer.get_config()
    assert config.pop("fill_value") == -1  # kept by lamina, left out by Keras
    _same_config(config, CONFIGS["max_num_bounding_boxes"])
    again = layers.MaxNumBoundingBoxes.from_config(layer.get_config())
    assert (again.max_number, again.fill_value) == (3, -1)
    shape = layer.compute_output_shape({"images": (2, 4, 4, 3), "bounding_boxes": {
        "boxes": (2, 9, 4), "labels": (2, 9)}})
    assert shape["bounding_boxes"] == {"boxes": (2, 3, 4), "labels": (2, 3)}


# ---------------------------------------------------------------- RandomElasticTransform
def test_elastic_parameters_match_keras():
    for height, width, strength, alpha, sigma in CONFIGS["elastic_params"]:
        assert elastic_parameters(height, width, strength) == pytest.approx((alpha, sigma))


@pytest.mark.parametrize("case", sorted(CONFIGS["elastic_cases"]))
def test_elastic_warp_with_a_fixed_noise_field_matches_keras(case):
    interpolation, fill_mode, _, alpha, sigma = CONFIGS["elastic_cases"][case]
    images = torch.tensor(REF["elastic_x"])
    noise = torch.tensor(REF["elastic_noise"])
    out = elastic_warp(images, noise[0], noise[1], alpha, sigma, interpolation, fill_mode, 3.0)
    np.testing.assert_allclose(out.numpy(), REF[f"elastic_y{case}"], rtol=1e-4, atol=2e-3)


def test_elastic_transform_configs_match_keras():
    _same_config(layers.RandomElasticTransform().get_config(), CONFIGS["elastic_default"])
    custom = layers.RandomElasticTransform(
        factor=(0.2, 0.7), scale=0.4, interpolation="nearest", fill_mode="constant",
        fill_value=9.0, value_range=(0, 1), seed=5)
    _same_config(custom.get_config(), CONFIGS["elastic_custom"])
    rebuilt = layers.RandomElasticTransform.from_config(custom.get_config())
    _same_config(rebuilt.get_config(), CONFIGS["elastic_custom"])


def test_elastic_transform_random_properties():
    x = _images((3, 16, 16, 3))
    out = layers.RandomElasticTransform(seed=1)(x)
    assert out.shape == x.shape and out.dtype == torch.float32
    assert float(out.min()) >= 0 and float(out.max()) <= 255
    assert not torch.allclose(out, torch.tensor(x))
    torch.testing.assert_close(layers.RandomElasticTransform(seed=1)(x), out, rtol=0, atol=0)
    assert not torch.equal(layers.RandomElasticTransform(seed=2)(x), out)
    # Inference, zero probability or zero strength: the images come back unchanged.
    np.testing.assert_array_equal(layers.RandomElasticTransform(seed=1)(x, training=False), x)
    np.testing.assert_array_equal(layers.RandomElasticTransform(factor=0.0, seed=1)(x), x)
    np.testing.assert_array_equal(layers.RandomElasticTransform(scale=0.0, seed=1)(x), x)
    # channels_first gives the channels_last result, transposed.
    first = layers.RandomElasticTransform(seed=1, data_format="channels_first")(
        x.transpose(0, 3, 1, 2))
    torch.testing.assert_close(first.permute(0, 2, 3, 1), out)
    unbatched = layers.RandomElasticTransform(seed=1, value_range=(0, 1))(x[0] / 255)
    assert unbatched.shape == x[0].shape and float(unbatched.max()) <= 1


def test_elastic_transform_argument_errors():
    with pytest.raises(ValueError, match="scale"):
        layers.RandomElasticTransform(scale=2.0)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        layers.RandomElasticTransform(fill_mode="edge")
    with pytest.raises(NotImplementedError, match="interpolation"):
        layers.RandomElasticTransform(interpolation="bicubic")


# ---------------------------------------------------------------- RandAugment / AugMix
def _sublayer_settings(layer, names):
    keys = ("factor", "x_factor", "y_factor", "height_factor", "width_factor",
            "addition_factor", "threshold_factor", "value_range", "interpolation")
    result = {}
    for name in names:
        sub = getattr(layer, name)
        config = sub.get_config()
        result[name] = {"class_name": type(sub).__name__,
                        **{k: config[k] for k in keys if k in config}}
    return json.loads(json.dumps(result, default=list))


@pytest.mark.parametrize("key", ["rand_augment_default", "rand_augment_custom",
                                 "aug_mix_default", "aug_mix_custom"])
def test_policy_layers_config_and_operations_match_keras(key):
    entry = CONFIGS[key]
    cls = layers.RandAugment if key.startswith("rand") else layers.AugMix
    layer = cls(**_kwargs(entry["kwargs"]))
    _same_config(layer.get_config(), entry["config"])
    assert _sublayer_settings(layer, entry["sublayers"]) == entry["sublayers"]
    _same_config(cls.from_config(layer.get_config()).get_config(), entry["config"])


@pytest.mark.parametrize("cls", [layers.RandAugment, layers.AugMix])
def test_policy_layers_random_properties(cls):
    x = _images((2, 10, 10, 3))
    out = cls(seed=3)(x)
    assert out.shape == x.shape and out.dtype == torch.float32
    assert float(out.min()) >= 0 and float(out.max()) <= 255
    torch.testing.assert_close(cls(seed=3)(x), out, rtol=0, atol=0)
    draws = [cls(seed=s)(x) for s in range(4, 8)]
    assert any(not torch.allclose(d, out) for d in draws)
    np.testing.assert_array_equal(cls(seed=3)(x, training=False), x)
    unit = cls(seed=3, value_range=(0, 1))(x[0] / 255)
    assert unit.shape == x[0].shape and 0 <= float(unit.min()) and float(unit.max()) <= 1
    first = cls(seed=3, data_format="channels_first")(x.transpose(0, 3, 1, 2))
    torch.testing.assert_close(first.permute(0, 2, 3, 1), out)


def test_policy_layers_in_a_model_are_identity_at_inference():
    inputs = layers.Input((8, 8, 3))
    outputs = layers.AugMix(seed=1)(layers.RandAugment(seed=1)(inputs))
    model = models.Model(inputs, outputs)
    x = _images((2, 8, 8, 3))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_rand_augment_with_no_ops_and_aug_mix_with_empty_chains():
    x = _images((2, 6, 6, 3))
    np.testing.assert_array_equal(layers.RandAugment(num_ops=0, seed=1)(x), x)
    # Chains of depth 0 are the images themselves, so the mix is the identity too.
    torch.testing.assert_close(layers.AugMix(chain_depth=0, seed=1)(x), torch.tensor(x))


# ---------------------------------------------------------------- CLAHE
CLAHE_CASES = sorted(k[len("clahe_"):] for k in CONFIGS if k.startswith("clahe_"))


@pytest.mark.parametrize("case", CLAHE_CASES)
def test_clahe_matches_keras(case):
    entry = CONFIGS[f"clahe_{case}"]
    layer = layers.ContrastLimitedAdaptiveHistogramEqualization(**_kwargs(entry["kwargs"]))
    x = REF[f"clahe_{case}_x"]
    expected = REF[f"clahe_{case}_y"]
    out = layer(x)
    assert out.dtype == torch.from_numpy(expected).dtype and out.shape == expected.shape
    tolerance = 1 if expected.dtype == np.uint8 else 1e-4 * (x.max() or 1)
    np.testing.assert_allclose(out.numpy().astype("float64"), expected, rtol=0,
                               atol=tolerance)
    if expected.dtype != np.uint8:
        assert np.mean(np.abs(out.numpy() - expected) < 1e-4 * (x.max() or 1)) > 0.99
    _same_config(layer.get_config(), entry["config"])
    # Not an augmentation: inference gives the same result.
    np.testing.assert_array_equal(layer(x, training=False).numpy(), out.numpy())


def test_clahe_argument_errors():
    with pytest.raises(ValueError, match="tile_grid_size"):
        layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(0, 2))
    with pytest.raises(ValueError, match="value_range"):
        layers.ContrastLimitedAdaptiveHistogramEqualization(value_range=3)


def test_dict_inputs_keep_labels_and_refuse_boxes():
    x = _images((2, 6, 6, 3))
    labels = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    for layer in (layers.RandAugment(seed=1), layers.AugMix(seed=1),
                  layers.RandomElasticTransform(seed=1)):
        out = layer({"images": x, "labels": labels})
        np.testing.assert_array_equal(out["labels"], labels)
        assert out["images"].shape == x.shape
    # RandAugment moves boxes and AugMix passes them through (see
    # tests/layers/test_mixing_bounding_boxes.py); Keras has no box transform for
    # RandomElasticTransform.
    with pytest.raises(NotImplementedError, match="bounding_boxes"):
        layers.RandomElasticTransform(seed=1, bounding_box_format="xyxy")(
            {"images": x, "bounding_boxes": {"boxes": np.zeros((2, 1, 4)),
                                             "labels": np.zeros((2, 1))}})