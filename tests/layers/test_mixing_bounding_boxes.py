"""Bounding boxes, segmentation masks and labels through MixUp, CutMix, RandAugment and AugMix.

1. Against Keras 3: each layer applies a transformation Keras drew (stored by
   tests/fixtures/bounding_boxes/make_mixing_fixtures.py) and must give Keras's results, or,
   where Keras 3.15 is plainly wrong, what Keras's own pieces give when used as intended
   (MixUp's box labels and masks, CutMix's mask channels, RandAugment's box order).
2. Dict calls: one draw moves images, labels, boxes and masks together (formulas checked
   against the transformation a same-seeded twin layer draws); single images, channels
   first, inference, and what stays refused.
"""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import layers
from lamina.layers.preprocessing.rand_augment import RAND_AUGMENT_OPERATIONS
from lamina.utils.bounding_boxes import converters

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "bounding_boxes"
META = json.loads((FIXTURES / "mixing_cases.json").read_text())
ARRAYS = dict(np.load(FIXTURES / "mixing_arrays.npz"))
RAND_CASES = {case["name"]: case for case in META["rand_augment"]}
GEOMETRIC = ("random_shear", "random_translation", "random_rotation")


def _load(prefix, info):
    """A transformation stored by make_fixtures.store_transformation."""
    if info["kind"] == "tuple":
        return tuple(ARRAYS[f"{prefix}/t/{i}"] for i in range(info["size"]))
    return {key: (tuple(int(v) for v in ARRAYS[f"{prefix}/t/{key}"]) if kind == "shape"
                  else ARRAYS[f"{prefix}/t/{key}"]) for key, kind in info["keys"].items()}


def _plain(name, keys):
    return {key: ARRAYS[f"{name}/t/{key}"] for key in keys}


def _mask_mismatch(out, expected):
    """Fraction of values off by more than rounding (nearest sampling may pick the
    neighbouring pixel where a sample point falls on a pixel boundary)."""
    out = out.numpy() if isinstance(out, torch.Tensor) else out
    assert out.shape == expected.shape
    return np.mean(np.abs(out - expected) > 1e-4)


# ------------------------------------------------------------------------------- MixUp
def test_mix_up_matches_keras():
    t = _plain("mix_up", ("mix_weight", "permutation_order"))
    layer = layers.MixUp(alpha=0.5, bounding_box_format="xyxy")
    np.testing.assert_allclose(layer.transform_images(ARRAYS["images"], t).numpy(),
                               ARRAYS["mix_up/images_out"], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(layer.transform_labels(ARRAYS["soft_labels"], t).numpy(),
                               ARRAYS["mix_up/labels_out"], rtol=1e-5, atol=1e-6)
    out = layer.transform_bounding_boxes({"boxes": ARRAYS["boxes"], "labels": ARRAYS["labels"]},
                                         t)
    np.testing.assert_array_equal(out["boxes"].numpy(), ARRAYS["mix_up/boxes_out"])
    # Keras 3.15 stacks the partner labels under the batch ((2 * batch, n)); the labels that
    # go with its (batch, 2n) boxes are its two halves side by side.
    keras_labels = ARRAYS["mix_up/box_labels_out"]
    batch = len(ARRAYS["labels"])
    assert keras_labels.shape == (2 * batch, ARRAYS["labels"].shape[1])
    np.testing.assert_array_equal(
        out["labels"].numpy(), np.concatenate([keras_labels[:batch], keras_labels[batch:]], 1))
    # Keras's mask method takes partners from the flattened array (its output has the wrong
    # shape); the reference is Keras's image blend applied to the masks.
    assert META["mix_up"]["keras_mask_shape"] != list(ARRAYS["masks"].shape)
    masks = layer.transform_segmentation_masks(torch.as_tensor(ARRAYS["masks"]), t)
    np.testing.assert_allclose(masks.numpy(), ARRAYS["mix_up/masks_out"], rtol=1e-6, atol=1e-6)


def test_mix_up_boxes_formula_and_any_format():
    """Each image keeps its boxes and gains its partner's, in any format, unconverted."""
    boxes = np.arange(3 * 2 * 4, dtype="float32").reshape(3, 2, 4) / 30
    labels = np.array([[1, 2], [3, -1], [5, 6]])
    t = {"mix_weight": np.array([0.2, 0.5, 0.9], "float32"),
         "permutation_order": np.array([2, 0, 1])}
    out = layers.MixUp(bounding_box_format="rel_center_xywh").transform_bounding_boxes(
        {"boxes": boxes, "labels": labels}, t)
    np.testing.assert_array_equal(out["boxes"].numpy(),
                                  np.concatenate([boxes, boxes[[2, 0, 1]]], 1))
    np.testing.assert_array_equal(out["labels"].numpy(), [[1, 2, 5, 6], [3, -1, 1, 2],
                                                          [5, 6, 3, -1]])
    same = layers.MixUp().transform_bounding_boxes({"boxes": boxes, "labels": labels}, t,
                                                   training=False)
    assert same["boxes"] is boxes


def test_mix_up_dict_call_moves_everything_with_one_draw():
    rng = np.random.RandomState(0)
    images = rng.uniform(0, 255, (4, 6, 5, 3)).astype("float32")
    masks = rng.randint(0, 3, (4, 6, 5, 1)).astype("float32")
    boxes = rng.uniform(0, 5, (4, 2, 4)).astype("float32")
    box_labels = rng.randint(0, 9, (4, 2))
    labels = np.eye(4, dtype="float32")
    out = layers.MixUp(alpha=0.4, seed=5, bounding_box_format="xyxy")(
        {"images": images, "labels": labels, "segmentation_masks": masks,
         "bounding_boxes": {"boxes": boxes, "labels": box_labels}})
    t = layers.MixUp(alpha=0.4, seed=5).get_random_transformation({"images": images})
    w = t["mix_weight"].numpy()
    order = t["permutation_order"].numpy()
    assert sorted(order) == [0, 1, 2, 3]

    def mix(x):
        weight = w.reshape((-1,) + (1,) * (x.ndim - 1))
        return weight * x + (1 - weight) * x[order]

    np.testing.assert_allclose(out["images"].numpy(), mix(images), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(out["labels"].numpy(), mix(labels), atol=1e-6)
    np.testing.assert_allclose(out["segmentation_masks"].numpy(), mix(masks), atol=1e-6)
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"].numpy(),
                                  np.concatenate([boxes, boxes[order]], 1))
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"].numpy(),
                                  np.concatenate([box_labels, box_labels[order]], 1))


def test_mix_up_single_image_and_inference():
    image = np.random.RandomState(1).uniform(0, 255, (6, 5, 3)).astype("float32")
    data = {"images": image, "labels": np.array([0.0, 1.0], "float32"),
            "segmentation_masks": np.ones((6, 5, 1), "float32"),
            "bounding_boxes": {"boxes": [[1.0, 1.0, 3.0, 4.0]], "labels": [2]}}
    out = layers.MixUp(seed=1, bounding_box_format="xyxy")(data)
    # A batch of one mixes with itself: only the boxes change (doubled).
    np.testing.assert_allclose(out["images"].numpy(), image, rtol=1e-6)
    np.testing.assert_allclose(out["labels"].numpy(), [0.0, 1.0])
    assert out["segmentation_masks"].shape == (6, 5, 1)
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"].numpy(),
                                  [[1, 1, 3, 4], [1, 1, 3, 4]])
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"].numpy(), [2, 2])
    same = layers.MixUp(seed=1, bounding_box_format="xyxy")(
        {**data, "images": image[None], "labels": data["labels"][None],
         "segmentation_masks": data["segmentation_masks"][None],
         "bounding_boxes": {"boxes": [[[1.0, 1.0, 3.0, 4.0]]], "labels": [[2]]}},
        training=False)
    np.testing.assert_array_equal(same["bounding_boxes"]["boxes"].numpy(), [[[1, 1, 3, 4]]])
    np.testing.assert_array_equal(same["segmentation_masks"], data["segmentation_masks"][None])


# ------------------------------------------------------------------------------ CutMix
@pytest.mark.parametrize("name", ["cut_mix", "cut_mix_channels_first"])
def test_cut_mix_matches_keras(name):
    case = META[name]
    first = case["kwargs"]["data_format"] == "channels_first"
    layer = layers.CutMix(factor=tuple(case["kwargs"]["factor"]),
                          data_format=case["kwargs"]["data_format"])
    t = _plain(name, ("permutation_order", "batch_masks", "mix_weight"))
    images = ARRAYS["images"].transpose(0, 3, 1, 2) if first else ARRAYS["images"]
    masks = ARRAYS["masks"].transpose(0, 3, 1, 2) if first else ARRAYS["masks"]
    np.testing.assert_array_equal(layer.transform_images(images, t).numpy(),
                                  ARRAYS[f"{name}/images_out"])
    np.testing.assert_allclose(layer.transform_labels(ARRAYS["soft_labels"], t).numpy(),
                               ARRAYS[f"{name}/labels_out"], rtol=1e-5, atol=1e-6)
    # Keras's cut masks take the images' channel count (3 equal channels); lamina's keep
    # the masks' one channel.
    assert 3 in case["keras_mask_shape"] and 1 not in case["keras_mask_shape"]
    out = layer.transform_segmentation_masks(torch.as_tensor(masks), t)
    np.testing.assert_array_equal(out.numpy(), ARRAYS[f"{name}/masks_out"])
    assert out.shape == masks.shape


def test_cut_mix_dict_call_cuts_masks_with_the_images():
    rng = np.random.RandomState(3)
    images = rng.uniform(0, 255, (4, 8, 7, 3)).astype("float32")
    masks = rng.randint(0, 4, (4, 8, 7, 2)).astype("int64")
    labels = np.eye(4, dtype="float32")
    out = layers.CutMix(seed=9)({"images": images, "labels": labels,
                                 "segmentation_masks": masks})
    t = layers.CutMix(seed=9).get_random_transformation({"images": images})
    cut = t["batch_masks"].numpy()
    order = t["permutation_order"].numpy()
    assert cut.shape == (4, 8, 7, 1) and cut.any()
    np.testing.assert_array_equal(out["images"].numpy(),
                                  np.where(cut, images[order], images))
    np.testing.assert_array_equal(out["segmentation_masks"].numpy(),
                                  np.where(cut, masks[order], masks))
    # The labels' weight is the kept area of the drawn (real-valued) rectangle, which the
    # pixel grid approximates to within a row and a column.
    kept = t["mix_weight"].numpy()
    pixels_kept = 1 - cut.mean(axis=(1, 2, 3))
    assert np.all(np.abs(kept - pixels_kept) <= (8 + 7 + 1) / (8 * 7))
    np.testing.assert_allclose(out["labels"].numpy(),
                               kept[:, None] * labels + (1 - kept[:, None]) * labels[order],
                               atol=1e-6)


def test_cut_mix_still_refuses_boxes_and_leaves_single_images():
    images = np.zeros((2, 4, 4, 3), "float32")
    boxes = {"boxes": np.zeros((2, 1, 4)), "labels": np.zeros((2, 1))}
    layer = layers.CutMix(bounding_box_format="xyxy", seed=1)
    with pytest.raises(NotImplementedError, match="CutMix.*bounding_boxes"):
        layer({"images": images, "bounding_boxes": boxes})
    with pytest.raises(NotImplementedError, match="CutMix"):
        layer.transform_bounding_boxes(boxes, layer.get_random_transformation(images))
    mask = np.ones((4, 4, 1), "float32")
    out = layer({"images": images[0], "segmentation_masks": mask})
    np.testing.assert_array_equal(out["segmentation_masks"], mask)


# ------------------------------------------------------------------------- RandAugment
def _rand_augment(case, fmt="xyxy", **kwargs):
    layer = layers.RandAugment(**{"factor": case["kwargs"]["factor"],
                                  "num_ops": case["kwargs"]["num_ops"], **kwargs},
                               bounding_box_format=fmt)
    t = {"layer_idxes": np.array(case["layer_idxes"]),
         "transforms": {sub: _load(f"{case['name']}/{sub}", info)
                        for sub, info in case["transforms"].items()}}
    return layer, t


@pytest.mark.parametrize("name", sorted(RAND_CASES))
def test_rand_augment_boxes_and_masks_match_keras(name):
    case = RAND_CASES[name]
    layer, t = _rand_augment(case)
    out = layer.transform_bounding_boxes({"boxes": ARRAYS["boxes"], "labels": ARRAYS["labels"]},
                                         t)
    expected = ARRAYS[f"{name}/boxes_out"]  # Keras's sub-layers, in the images' order
    np.testing.assert_allclose(np.asarray(out["boxes"]), expected, atol=5e-4, rtol=1e-5)
    np.testing.assert_array_equal(np.asarray(out["labels"]), ARRAYS[f"{name}/labels_out"])
    if case["keras_consistent"]:  # RandAugment's own boxes are the same there
        np.testing.assert_allclose(ARRAYS[f"{name}/keras_boxes"], expected, atol=1e-5)
    else:  # rotation then shear, or one operation twice: Keras's boxes part from its images
        assert name in ("rand_augment_reversed", "rand_augment_twice")
        assert not np.allclose(ARRAYS[f"{name}/keras_boxes"], expected, atol=1e-2)
    masks = layer.transform_segmentation_masks(torch.as_tensor(ARRAYS["masks"]), t)
    assert _mask_mismatch(masks, ARRAYS[f"{name}/masks_out"]) < 0.01


def test_rand_augment_boxes_in_other_formats_are_converted_round_trip():
    case = RAND_CASES["rand_augment_three"]
    height, width = ARRAYS["images"].shape[1:3]
    reference = ARRAYS[f"{case['name']}/boxes_out"]
    for fmt in ("rel_xyxy", "center_yxhw", "xywh"):
        layer, t = _rand_augment(case, fmt)
        given = converters.convert_format(torch.as_tensor(ARRAYS["boxes"]), "xyxy", fmt,
                                          height, width)
        out = layer.transform_bounding_boxes({"boxes": given, "labels": ARRAYS["labels"]}, t)
        back = converters.convert_format(out["boxes"], fmt, "xyxy", height, width)
        kept = ARRAYS[f"{case['name']}/labels_out"] >= 0
        np.testing.assert_allclose(back.numpy()[kept], reference[kept], atol=1e-3)


def test_rand_augment_dict_call_uses_one_draw_for_everything():
    """The dict call equals the chosen geometric sub-layers' own transforms (each checked
    against Keras in test_bounding_box_augmentation.py), applied in the chosen order."""
    rng = np.random.RandomState(4)
    images = rng.uniform(0, 255, (3, 10, 12, 3)).astype("float32")
    masks = rng.randint(0, 3, (3, 10, 12, 1)).astype("float32")
    boxes = np.array([[[1, 1, 6, 5]], [[2, 3, 9, 8]], [[4, 0, 11, 7]]], "float32")
    box_labels = np.array([[1], [2], [3]])
    for seed in (2, 3, 4):
        kwargs = {"num_ops": 3, "factor": 0.8, "seed": seed, "bounding_box_format": "xyxy"}
        out = layers.RandAugment(**kwargs)(
            {"images": images, "segmentation_masks": masks,
             "bounding_boxes": {"boxes": boxes, "labels": box_labels}})
        twin = layers.RandAugment(**kwargs)
        t = twin.get_random_transformation({"images": images})
        assert len(t["layer_idxes"]) == 3
        expected_boxes = {"boxes": torch.as_tensor(boxes),
                          "labels": torch.as_tensor(box_labels)}
        expected_masks = torch.as_tensor(masks)
        for index in t["layer_idxes"].tolist():
            name = RAND_AUGMENT_OPERATIONS[index]
            if name in GEOMETRIC:
                operation = getattr(twin, name)
                expected_boxes = operation.transform_bounding_boxes(expected_boxes,
                                                                    t["transforms"][name])
                expected_masks = operation.transform_segmentation_masks(
                    expected_masks, t["transforms"][name])
        torch.testing.assert_close(out["bounding_boxes"]["boxes"], expected_boxes["boxes"])
        torch.testing.assert_close(out["bounding_boxes"]["labels"], expected_boxes["labels"])
        torch.testing.assert_close(out["segmentation_masks"], expected_masks)
        assert out["images"].shape == images.shape


def test_rand_augment_moves_boxes_with_the_images():
    """Seeds where a geometric operation is chosen move the boxes; the images agree: a white
    square on black, moved by the same call, stays inside its moved box."""
    image = np.zeros((1, 24, 24, 3), "float32")
    image[:, 8:16, 6:14] = 255.0
    box = {"boxes": np.array([[[6, 8, 14, 16]]], "float32"), "labels": np.array([[1]])}
    moved = 0
    for seed in range(30):
        layer = layers.RandAugment(num_ops=1, factor=0.3, seed=seed, interpolation="nearest",
                                   bounding_box_format="xyxy")
        for operation in layer._operations[:3]:  # no reflected copies of the square
            operation.fill_mode = "constant"
        out = layer({"images": image, "segmentation_masks": image[..., :1] / 255,
                     "bounding_boxes": box})
        x1, y1, x2, y2 = out["bounding_boxes"]["boxes"][0, 0].tolist()
        mask = out["segmentation_masks"][0, ..., 0].numpy() > 0.5
        if not np.allclose([x1, y1, x2, y2], [6, 8, 14, 16]):
            moved += 1
        rows, cols = np.nonzero(mask)
        assert rows.size > 0
        assert rows.min() >= np.floor(y1) - 1 and rows.max() <= np.ceil(y2) + 1
        assert cols.min() >= np.floor(x1) - 1 and cols.max() <= np.ceil(x2) + 1
    assert moved >= 4  # about 3 in 11 picks are geometric


def test_rand_augment_masks_channels_first_single_image_and_inference():
    rng = np.random.RandomState(5)
    images = rng.uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    masks = rng.randint(0, 3, (2, 8, 8, 1)).astype("float32")
    last = layers.RandAugment(num_ops=3, seed=6)({"images": images, "segmentation_masks": masks})
    first = layers.RandAugment(num_ops=3, seed=6, data_format="channels_first")(
        {"images": images.transpose(0, 3, 1, 2),
         "segmentation_masks": masks.transpose(0, 3, 1, 2)})
    torch.testing.assert_close(first["segmentation_masks"].permute(0, 2, 3, 1),
                               last["segmentation_masks"])
    single = layers.RandAugment(num_ops=3, seed=6, bounding_box_format="xyxy")(
        {"images": images[0], "segmentation_masks": masks[0],
         "bounding_boxes": {"boxes": [[1.0, 1.0, 5.0, 6.0]], "labels": [1]}})
    assert single["segmentation_masks"].shape == (8, 8, 1)
    assert single["bounding_boxes"]["boxes"].shape == (1, 4)
    same = layers.RandAugment(seed=6, bounding_box_format="xyxy")(
        {"images": images, "segmentation_masks": masks,
         "bounding_boxes": {"boxes": np.ones((2, 1, 4), "float32"), "labels": [[1], [2]]}},
        training=False)
    np.testing.assert_array_equal(same["segmentation_masks"], masks)
    np.testing.assert_array_equal(same["bounding_boxes"]["boxes"], np.ones((2, 1, 4)))


# ------------------------------------------------------------------------------ AugMix
def _aug_mix_transformation():
    chains = [[{"layer_name": step["layer_name"],
                "transformation": (_load(f"aug_mix/{c}/{s}", step["transformation"])
                                   if "transformation" in step else None)}
               for s, step in enumerate(chain)]
              for c, chain in enumerate(META["aug_mix"]["chains"])]
    return {"chain_mixing_weights": ARRAYS["aug_mix/t/chain_mixing_weights"],
            "weight_sample": ARRAYS["aug_mix/t/weight_sample"], "chain_transforms": chains}


def test_aug_mix_masks_match_keras():
    t = _aug_mix_transformation()
    assert sum(s["layer_name"] in GEOMETRIC for c in t["chain_transforms"] for s in c) >= 3
    layer = layers.AugMix(**META["aug_mix"]["kwargs"])
    out = layer.transform_segmentation_masks(torch.as_tensor(ARRAYS["masks"]), t)
    expected = ARRAYS["aug_mix/masks_out"]
    assert _mask_mismatch(out, expected) < 0.02
    # Soft masks: mixtures of the moved masks, not clipped to anything.
    assert len(np.unique(expected)) > len(np.unique(ARRAYS["masks"]))


def test_aug_mix_dict_call_mixes_masks_and_passes_boxes():
    rng = np.random.RandomState(6)
    images = rng.uniform(0, 255, (2, 10, 10, 3)).astype("float32")
    masks = rng.randint(0, 2, (2, 10, 10, 1)).astype("int32")
    boxes = {"boxes": np.array([[[1, 1, 4, 4]], [[2, 2, 8, 9]]], "float32"),
             "labels": np.array([[3], [4]])}
    out = layers.AugMix(seed=3, chain_depth=4, bounding_box_format="xyxy")(
        {"images": images, "segmentation_masks": masks, "bounding_boxes": boxes,
         "labels": np.eye(2, dtype="float32")})
    twin = layers.AugMix(seed=3, chain_depth=4)
    t = twin.get_random_transformation({"images": images})
    expected = twin.transform_segmentation_masks(torch.as_tensor(masks), t)
    torch.testing.assert_close(out["segmentation_masks"], expected)
    assert out["segmentation_masks"].dtype == torch.float32
    # With no geometric step the mix is the masks themselves (the weights sum to one).
    if not any(s["layer_name"] in GEOMETRIC for c in t["chain_transforms"] for s in c):
        torch.testing.assert_close(expected, torch.as_tensor(masks, dtype=torch.float32))
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], boxes["boxes"])
    np.testing.assert_array_equal(out["labels"], np.eye(2))
    flat = layers.AugMix(chain_depth=0, seed=1)({"images": images, "segmentation_masks": masks})
    torch.testing.assert_close(flat["segmentation_masks"],
                               torch.as_tensor(masks, dtype=torch.float32))
    same = layers.AugMix(seed=3)({"images": images, "segmentation_masks": masks},
                                 training=False)
    np.testing.assert_array_equal(same["segmentation_masks"], masks)


def test_fixtures_cover_the_four_layers():
    assert META["keras_version"].startswith("3.")
    assert {"mix_up", "cut_mix", "cut_mix_channels_first", "aug_mix"} <= set(META)
    chosen = {i for case in META["rand_augment"] for i in case["layer_idxes"]}
    assert {0, 1, 2} <= chosen and chosen - {0, 1, 2}  # geometric and colour operations
