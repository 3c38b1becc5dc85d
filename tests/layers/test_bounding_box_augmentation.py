"""Bounding boxes and segmentation masks through the image preprocessing layers.

1. Against Keras 3: each layer applies a transformation Keras drew (stored by
   tests/fixtures/bounding_boxes/make_fixtures.py) to boxes in every format and to masks;
   the results must be Keras's.
2. Properties: a box drawn as a filled mask, moved as a mask and as a box by the same call,
   agrees (the box encloses the moved mask; a box whose mask survives keeps its label).
3. Colour layers pass boxes and masks through; dict handling and errors.
4. A small program in the style of Keras's object-detection augmentation guide.
"""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import layers

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "bounding_boxes"
META = json.loads((FIXTURES / "cases.json").read_text())
ARRAYS = dict(np.load(FIXTURES / "arrays.npz"))
CASES = {case["name"]: case for case in META["cases"]}


def _kwargs(raw):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}


def _transformation(case):
    info, name = case["transformation"], case["name"]
    if info["kind"] == "tuple":
        return tuple(ARRAYS[f"{name}/t/{i}"] for i in range(info["size"]))
    return {key: (tuple(int(v) for v in ARRAYS[f"{name}/t/{key}"]) if kind == "shape"
                  else ARRAYS[f"{name}/t/{key}"]) for key, kind in info["keys"].items()}


def _layer(case, fmt):
    cls = getattr(layers, case["layer"])
    return cls(**_kwargs(case["kwargs"]), bounding_box_format=fmt)


# ------------------------------------------------------------------------- against Keras
@pytest.mark.parametrize("name, fmt", [(c["name"], f) for c in META["cases"]
                                       for f in c["formats"]])
def test_boxes_match_keras(name, fmt):
    case = CASES[name]
    layer = _layer(case, fmt)
    boxes_in = ARRAYS[f"{name}/{fmt}/boxes_in"]
    out = layer.transform_bounding_boxes({"boxes": boxes_in, "labels": ARRAYS["labels"]},
                                         _transformation(case), training=True)
    expected = ARRAYS[f"{name}/{fmt}/boxes_out"]
    expected_labels = ARRAYS[f"{name}/{fmt}/labels_out"]
    boxes, labels = out["boxes"].numpy(), np.asarray(out["labels"])
    if case["layer"] == "RandomCrop":
        # Keras 3.15's RandomCrop boxes are right only for boxes inside the window (it never
        # clips the far side nor drops labels): compare those.
        xyxy = ARRAYS["boxes_xyxy"]
        inside = (xyxy[..., :2] >= 2).all(-1) & (xyxy[..., 2:] <= 11).all(-1)
        assert inside.sum() >= 3
        boxes, expected = boxes[inside], expected[inside]
        labels, expected_labels = labels[inside], expected_labels[inside]
    scale = 1.0 if fmt.startswith("rel_") else 20.0
    np.testing.assert_allclose(boxes, expected, atol=2e-5 * scale, rtol=1e-5)
    np.testing.assert_array_equal(labels, expected_labels)


@pytest.mark.parametrize("name", [c["name"] for c in META["cases"] if c.get("masks")])
def test_masks_match_keras(name):
    case = CASES[name]
    layer = _layer(case, "xyxy")
    out = layer.transform_segmentation_masks(torch.as_tensor(ARRAYS["masks"]),
                                             _transformation(case), training=True)
    expected = ARRAYS[f"{name}/masks_out"]
    assert tuple(out.shape) == expected.shape
    # Nearest sampling: the same labels, except where a sample point falls within rounding
    # distance of a pixel boundary (a handful of pixels at most).
    assert np.mean(out.numpy() != expected) < 0.01
    assert set(np.unique(out.numpy())) <= set(np.unique(ARRAYS["masks"])) | {0.0}


def test_fixtures_cover_every_format_and_layer():
    formats = {f for c in META["cases"] for f in c["formats"]}
    assert len(formats) == 9
    assert {c["layer"] for c in META["cases"]} == {
        "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "RandomShear",
        "RandomPerspective", "CenterCrop", "Resizing", "RandomCrop"}


# ---------------------------------------------------------------------------- properties
SIZE = 24
BOXES = np.array([[[4, 5, 12, 16]], [[10, 2, 21, 9]], [[1, 12, 7, 22]], [[15, 15, 20, 23]],
                  [[6, 6, 18, 18]], [[0, 0, 9, 5]]], "float32")


def _box_masks(boxes, height, width):
    masks = np.zeros((len(boxes), height, width, 1), "float32")
    for i, (x1, y1, x2, y2) in enumerate(boxes[:, 0].astype(int)):
        masks[i, y1:y2, x1:x2] = 1.0
    return masks


GEOMETRIC = {
    "flip": (lambda: layers.RandomFlip(seed=3), 0.0),
    "rotation": (lambda: layers.RandomRotation(0.15, fill_mode="constant", seed=3), 1.5),
    "translation": (lambda: layers.RandomTranslation(0.3, 0.3, fill_mode="constant",
                                                     seed=3), 1.0),
    "zoom_in": (lambda: layers.RandomZoom((-0.4, -0.1), fill_mode="constant", seed=3), 1.5),
    "zoom_out": (lambda: layers.RandomZoom((0.1, 0.5), (0.0, 0.3), fill_mode="constant",
                                           seed=3), 1.5),
    "shear_x": (lambda: layers.RandomShear(x_factor=0.3, fill_mode="constant", seed=3), 1.5),
    "shear_y": (lambda: layers.RandomShear(y_factor=0.3, fill_mode="constant", seed=3), 1.5),
    "perspective": (lambda: layers.RandomPerspective(scale=0.4, seed=3), 1.5),
    "random_crop": (lambda: layers.RandomCrop(15, 17, seed=3), 0.0),
    "random_crop_upscale": (lambda: layers.RandomCrop(30, 20, seed=3), 1.0),
    "center_crop": (lambda: layers.CenterCrop(14, 20), 0.0),
    "center_crop_upscale": (lambda: layers.CenterCrop(32, 16), 1.0),
    "resizing": (lambda: layers.Resizing(12, 30), 1.0),
    "resizing_pad": (lambda: layers.Resizing(10, 20, pad_to_aspect_ratio=True), 1.0),
    "resizing_crop": (lambda: layers.Resizing(10, 20, crop_to_aspect_ratio=True), 1.0),
}


@pytest.mark.parametrize("name", sorted(GEOMETRIC))
@pytest.mark.parametrize("fmt", ["xyxy", "rel_center_xywh"])
def test_box_encloses_its_moved_mask(name, fmt):
    factory, tolerance = GEOMETRIC[name]
    tolerance += 1e-3  # float rounding
    layer = factory()
    layer.bounding_box_format = fmt
    height = SIZE if name.startswith("shear") else SIZE - 4  # shear boxes: square images
    boxes = np.clip(BOXES, 0, [SIZE, height, SIZE, height]).astype("float32")
    masks = _box_masks(boxes, height, SIZE)
    from lamina.utils.bounding_boxes import convert_format
    given = convert_format(boxes, "xyxy", fmt, height, SIZE).numpy()
    out = layer({"images": np.repeat(masks, 3, -1) * 100,
                 "bounding_boxes": {"boxes": given, "labels": np.arange(1, 7)[:, None]},
                 "segmentation_masks": masks})
    moved = out["segmentation_masks"].numpy()[..., 0]
    out_h, out_w = moved.shape[1:3]
    got = convert_format(out["bounding_boxes"]["boxes"], fmt, "xyxy", out_h, out_w).numpy()
    labels = np.asarray(out["bounding_boxes"]["labels"])
    for i in range(len(boxes)):
        rows, cols = np.nonzero(moved[i] > 0.5)
        if rows.size == 0:
            continue
        x1, y1, x2, y2 = got[i, 0]
        assert labels[i, 0] == i + 1, (i, got[i])
        assert x1 - tolerance <= cols.min() and cols.max() + 1 <= x2 + tolerance, (i, got[i])
        assert y1 - tolerance <= rows.min() and rows.max() + 1 <= y2 + tolerance, (i, got[i])
        if name.startswith(("flip", "translation", "random_crop", "center_crop",
                            "resizing")):  # no rotation: the box is the mask's extent
            np.testing.assert_allclose([x1, y1, x2, y2], [cols.min(), rows.min(),
                                                          cols.max() + 1, rows.max() + 1],
                                       atol=tolerance + 1e-4)
    # The images moved as the masks did (bilinear images and nearest masks differ only
    # on a few edge pixels).
    assert np.mean((out["images"].numpy()[..., 0] > 50) != (moved > 0.5)) < 0.02


def test_boxes_that_leave_the_image_lose_their_label():
    layer = layers.RandomTranslation(0.0, (0.9, 0.9), fill_mode="constant",
                                     bounding_box_format="xyxy")
    out = layer({"images": np.zeros((1, 10, 10, 3), "float32"),
                 "bounding_boxes": {"boxes": [[[1, 1, 4, 4], [0, 1, 1, 4]]],
                                    "labels": [[3, 4]]}})
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], [[-1, 4]])
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"][0], [[10, 1, 10, 4],
                                                                    [9, 1, 10, 4]])


def test_elastic_masks_move_with_their_images():
    masks = _box_masks(BOXES, SIZE, SIZE)
    layer = layers.RandomElasticTransform(scale=(0.8, 1.0), interpolation="nearest",
                                          fill_mode="constant", value_range=(0, 1), seed=2)
    out = layer({"images": np.repeat(masks, 3, -1), "segmentation_masks": masks})
    assert not np.array_equal(out["segmentation_masks"].numpy(), masks)
    np.testing.assert_array_equal(out["images"].numpy()[..., :1],
                                  out["segmentation_masks"].numpy())
    with pytest.raises(NotImplementedError, match="bounding_boxes"):
        layer({"images": masks, "bounding_boxes": {"boxes": BOXES, "labels": np.ones((6, 1))}})


# -------------------------------------------------------------- pass-through and plumbing
COLOUR = [lambda: layers.RandomBrightness(0.3), lambda: layers.RandomContrast(0.3),
          lambda: layers.RandomInvert(), lambda: layers.RandomHue(0.3),
          lambda: layers.RandomSaturation(0.3), lambda: layers.RandomGrayscale(0.5),
          lambda: layers.RandomColorJitter(brightness_factor=0.2),
          lambda: layers.RandomGaussianBlur(), lambda: layers.RandomErasing(),
          lambda: layers.Solarization(), lambda: layers.RandomPosterization(4),
          lambda: layers.RandomSharpness(0.4), lambda: layers.RandomColorDegeneration(0.4),
          lambda: layers.AutoContrast(), lambda: layers.Equalization()]


@pytest.mark.parametrize("index", range(len(COLOUR)))
def test_colour_layers_pass_boxes_and_masks_through(index):
    layer = COLOUR[index]()
    layer.bounding_box_format = "center_xywh"
    images = np.random.RandomState(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    boxes = np.array([[[3, 3, 4, 2]], [[5, 4, 2, 2]]], "float32")
    masks = np.ones((2, 8, 8, 1), "float32")
    out = layer({"images": images, "bounding_boxes": {"boxes": boxes, "labels": [[1], [2]]},
                 "segmentation_masks": masks})
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], boxes)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], [[1], [2]])
    np.testing.assert_array_equal(out["segmentation_masks"], masks)
    assert out["images"].shape == images.shape


def test_aug_mix_passes_boxes_through():
    boxes = np.array([[[3, 3, 4, 2]]], "float32")
    out = layers.AugMix(bounding_box_format="xyxy", seed=1)(
        {"images": np.full((1, 8, 8, 3), 100.0, "float32"),
         "bounding_boxes": {"boxes": boxes, "labels": [[1]]}})
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], boxes)


def test_unbatched_inputs_channels_first_and_inference():
    image = np.zeros((3, 6, 8), "float32")  # channels_first, unbatched
    layer = layers.RandomFlip("horizontal", seed=0, data_format="channels_first",
                              bounding_box_format="xyxy")
    outs = [layer({"images": image, "bounding_boxes": {"boxes": [[1, 2, 3, 4]], "labels": [5]},
                   "segmentation_masks": np.zeros((1, 6, 8), "float32")}) for _ in range(12)]
    seen = {tuple(o["bounding_boxes"]["boxes"][0].tolist()) for o in outs}
    assert seen == {(1.0, 2.0, 3.0, 4.0), (5.0, 2.0, 7.0, 4.0)}  # width 8: x -> 8 - x
    assert outs[0]["segmentation_masks"].shape == (1, 6, 8)
    same = layer({"images": image, "bounding_boxes": {"boxes": [[1, 2, 3, 4]], "labels": [5]}},
                 training=False)
    np.testing.assert_array_equal(same["bounding_boxes"]["boxes"], [[1, 2, 3, 4]])


def test_errors_say_what_to_do():
    images = np.zeros((1, 8, 8, 3), "float32")
    boxes = {"boxes": np.zeros((1, 1, 4)), "labels": np.zeros((1, 1))}
    with pytest.raises(ValueError, match="bounding_box_format='xyxy'"):
        layers.RandomRotation(0.1)({"images": images, "bounding_boxes": boxes})
    with pytest.raises(ValueError, match="bounding_box_format"):
        layers.RandomFlip(bounding_box_format="xyxz")
    with pytest.raises(ValueError, match="'boxes'"):
        layers.RandomFlip(bounding_box_format="xyxy")({"images": images,
                                                       "bounding_boxes": {"boxes": []}})
    with pytest.raises(NotImplementedError, match="CutMix"):
        layers.CutMix(bounding_box_format="xyxy")({"images": images, "bounding_boxes": boxes})
    with pytest.raises(ValueError, match="'images'"):
        layers.RandomFlip()({"image": images})


def test_configs_keep_the_box_format_as_keras():
    assert "bounding_box_format" not in layers.RandomZoom(0.2).get_config()
    for layer in (layers.RandomZoom(0.2, bounding_box_format="rel_xyxy"),
                  layers.Resizing(4, 4, bounding_box_format="rel_xyxy"),
                  layers.CenterCrop(4, 4, bounding_box_format="rel_xyxy")):
        config = layer.get_config()
        assert config["bounding_box_format"] == "rel_xyxy"
        assert type(layer).from_config(config).bounding_box_format == "rel_xyxy"


# ------------------------------------------------------------ a guide-style small program
def test_object_detection_augmentation_program():
    """As in Keras's object-detection augmentation guide: a pipeline of geometric layers on
    dicts of images, boxes and labels, then a fixed number of boxes per image."""
    rng = np.random.RandomState(7)
    images = rng.uniform(0, 255, (4, 40, 60, 3)).astype("float32")
    xy = rng.uniform(0, 30, (4, 3, 2))
    wh = rng.uniform(4, 20, (4, 3, 2))
    boxes = np.concatenate([xy, np.minimum(xy + wh, [60, 40])], -1).astype("float32")
    labels = rng.randint(0, 5, (4, 3)).astype("int32")
    augment = layers.Pipeline([
        layers.RandomFlip("horizontal", bounding_box_format="xyxy", seed=1),
        layers.RandomRotation(0.05, fill_mode="constant", bounding_box_format="xyxy", seed=2),
        layers.RandomZoom(0.2, fill_mode="constant", bounding_box_format="xyxy", seed=3),
        layers.RandomTranslation(0.1, 0.1, fill_mode="constant", bounding_box_format="xyxy",
                                 seed=4),
        layers.Resizing(32, 32, pad_to_aspect_ratio=True, bounding_box_format="xyxy"),
        layers.MaxNumBoundingBoxes(max_number=5, bounding_box_format="xyxy"),
    ])
    for _ in range(3):
        out = augment({"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}})
        assert out["images"].shape == (4, 32, 32, 3)
        got, got_labels = out["bounding_boxes"]["boxes"], out["bounding_boxes"]["labels"]
        assert got.shape == (4, 5, 4) and got_labels.shape == (4, 5)
        kept = got_labels >= 0
        assert kept.any()
        assert torch.all(got[kept] >= 0) and torch.all(got[kept] <= 32)
        assert torch.all(got[kept][:, 2:] >= got[kept][:, :2])
        # Padding to the 3:2 aspect ratio: content (and boxes) stay in rows 5..26.
        assert torch.all(got[kept][:, 1] >= 5 - 1e-4) and torch.all(got[kept][:, 3] <= 27 + 1e-4)
        np.testing.assert_array_equal(got_labels[:, 3:].numpy(), -1)
    inference = augment({"images": images, "bounding_boxes": {"boxes": boxes,
                                                              "labels": labels}},
                        training=False)
    # In inference only the resize moves the boxes: scale 32/60, 5 rows of padding on top.
    expected = boxes * (32 / 60) + np.array([0, 5, 0, 5], "float32")
    np.testing.assert_allclose(inference["bounding_boxes"]["boxes"][:, :3].numpy(), expected,
                               atol=1e-4)
