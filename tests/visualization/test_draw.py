"""draw_bounding_boxes and draw_segmentation_masks, pixel for pixel against Keras 3.15's outputs
(recorded with OpenCV by tests/fixtures/more_namespaces/make_visualization_fixture.py)."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import visualization

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "more_namespaces"
KERAS = np.load(FIXTURES / "visualization.npz")
META = json.loads((FIXTURES / "visualization.json").read_text())
BOX_CASES = ["boxes_t1", "boxes_t2", "boxes_t3", "boxes_t4", "boxes_t5", "boxes_t8"]
MASK_CASES = ["masks_default", "masks_num_classes_5", "masks_alpha", "masks_no_blend",
              "masks_colors"]


def boxes(**extra):
    return {"boxes": KERAS["xyxy"], "labels": KERAS["labels"], **extra}


@pytest.mark.parametrize("case", BOX_CASES)
def test_boxes_match_keras_pixel_for_pixel(case):
    drawn = visualization.draw_bounding_boxes(KERAS["images"], boxes(), **META[case])
    assert drawn.dtype == np.uint8 and drawn.shape == KERAS["images"].shape
    np.testing.assert_array_equal(drawn, KERAS[f"{case}/output"])


@pytest.mark.parametrize("case", ["boxes_rel_xyxy", "boxes_xywh"])
def test_other_box_formats_on_unit_range_images_match_keras(case):
    drawn = visualization.draw_bounding_boxes(
        torch.from_numpy(KERAS["images"] / 255.0),
        {"boxes": torch.from_numpy(KERAS[f"{case}/boxes"]), "labels": KERAS["labels"]},
        bounding_box_format=META[case]["bounding_box_format"])
    np.testing.assert_array_equal(drawn, KERAS[f"{case}/output"])


def test_channels_first_images_are_drawn_in_their_own_layout():
    images = np.transpose(KERAS["images"], (0, 3, 1, 2))
    drawn = visualization.draw_bounding_boxes(images, boxes(), "xyxy",
                                              data_format="channels_first")
    np.testing.assert_array_equal(drawn, np.transpose(KERAS["boxes_t2/output"], (0, 3, 1, 2)))


def test_the_input_images_are_not_modified():
    images = KERAS["images"].astype("uint8")
    before = images.copy()
    visualization.draw_bounding_boxes(images, boxes(), "xyxy")
    np.testing.assert_array_equal(images, before)


def test_a_box_outline_by_formula():
    """Thickness 1 is the 1-pixel border of the box; thickness 2 widens each side by one pixel
    on both sides (OpenCV's convention) and leaves the corners' outer pixels unpainted."""
    image = np.zeros((1, 12, 12, 1), dtype="uint8")
    box = {"boxes": [[[2, 3, 8, 9]]], "labels": [[0]]}
    thin = visualization.draw_bounding_boxes(image, box, "xyxy", color=(255,),
                                             line_thickness=1)[0, ..., 0] > 0
    expected = np.zeros((12, 12), dtype=bool)
    expected[3:10, 2:9] = True
    expected[4:9, 3:8] = False
    np.testing.assert_array_equal(thin, expected)
    thick = visualization.draw_bounding_boxes(image, box, "xyxy", color=(255,))[0, ..., 0] > 0
    expected = np.zeros((12, 12), dtype=bool)
    expected[2:11, 1:10] = True
    expected[5:8, 4:7] = False
    for row, col in ((2, 1), (2, 9), (10, 1), (10, 9)):
        expected[row, col] = False
    np.testing.assert_array_equal(thick, expected)


def test_labels_are_written_above_the_boxes():
    drawn = visualization.draw_bounding_boxes(
        np.zeros((1, 60, 80, 3)), {"boxes": [[[10, 40, 70, 55]]], "labels": [[1]]}, "xyxy",
        class_mapping={1: "dog"}, color=(255, 0, 0), line_thickness=1, font_scale=0.5)
    outline_only = visualization.draw_bounding_boxes(
        np.zeros((1, 60, 80, 3)), {"boxes": [[[10, 40, 70, 55]]], "labels": [[1]]}, "xyxy",
        color=(255, 0, 0), line_thickness=1)
    text = (drawn != outline_only).any(-1)[0]
    rows, cols = np.nonzero(text)
    # The baseline is 8 pixels above the box: the text sits between the box's top and 25
    # pixels above it (with OpenCV's font or Pillow's).
    assert rows.size and 40 - 25 <= rows.min() and rows.max() < 40 and cols.min() >= 10
    assert set(map(tuple, drawn[0][text])) <= {(c, 0, 0) for c in range(256)}


def test_labels_match_keras_where_opencv_is_installed():
    pytest.importorskip("cv2")
    drawn = visualization.draw_bounding_boxes(
        KERAS["images"], boxes(confidences=[[0.9, 0.5, 0.25, 1.0], [0.1, 0.2, 0.3, 0.4]]),
        "xyxy", class_mapping={0: "cat", 1: "dog"}, font_scale=0.5)
    np.testing.assert_array_equal(drawn, KERAS["boxes_text/output"])


def test_bad_box_arguments_say_what_is_expected():
    with pytest.raises(ValueError, match=r"batch of images.*images\[None\]"):
        visualization.draw_bounding_boxes(KERAS["images"][0], boxes(), "xyxy")
    with pytest.raises(TypeError, match="must be a dict"):
        visualization.draw_bounding_boxes(KERAS["images"], KERAS["xyxy"], "xyxy")
    with pytest.raises(ValueError, match="'boxes' and 'labels'"):
        visualization.draw_bounding_boxes(KERAS["images"], {"boxes": KERAS["xyxy"]}, "xyxy")


@pytest.mark.parametrize("case", MASK_CASES)
def test_masks_match_keras(case):
    kwargs = dict(META[case])
    if "color_mapping" in kwargs:
        kwargs["color_mapping"] = {int(k): v for k, v in kwargs["color_mapping"].items()}
    drawn = visualization.draw_segmentation_masks(KERAS["seg_images"], KERAS["seg_masks"],
                                                  **kwargs)
    expected = KERAS[f"{case}/output"]
    assert drawn.dtype == expected.dtype
    np.testing.assert_array_equal(drawn, expected)


def test_masks_accept_torch_tensors_without_a_channel_axis():
    drawn = visualization.draw_segmentation_masks(
        torch.from_numpy(KERAS["seg_images"]), torch.from_numpy(KERAS["seg_masks"][..., 0]))
    np.testing.assert_array_equal(drawn, KERAS["masks_default/output"])


def test_channels_first_masks_come_back_channels_first():
    drawn = visualization.draw_segmentation_masks(
        np.transpose(KERAS["seg_images"], (0, 3, 1, 2)),
        np.transpose(KERAS["seg_masks"], (0, 3, 1, 2)), data_format="channels_first")
    # Keras returns channels-last here; lamina keeps the caller's layout.
    np.testing.assert_array_equal(np.transpose(drawn, (0, 2, 3, 1)),
                                  KERAS["masks_channels_first/output"])


def test_mask_blending_by_formula():
    image = np.full((1, 1, 2, 3), 100.0)
    mask = np.array([[[1, 0]]])
    drawn = visualization.draw_segmentation_masks(image, mask, num_classes=2, alpha=0.25,
                                                  color_mapping={0: (0, 0, 0),
                                                                 1: (200, 20, 4)})
    np.testing.assert_array_equal(drawn[0, 0], [[125, 80, 76], [75, 75, 75]])


def test_bad_masks_say_what_is_expected():
    with pytest.raises(TypeError, match=r"integer class ids.*astype\('int32'\)"):
        visualization.draw_segmentation_masks(KERAS["seg_images"],
                                              KERAS["seg_masks"].astype("float32"))
    with pytest.raises(ValueError, match=r"has none for \[2, 3\]"):
        visualization.draw_segmentation_masks(KERAS["seg_images"], KERAS["seg_masks"],
                                              num_classes=4, color_mapping={0: (1, 2, 3),
                                                                            1: (4, 5, 6)})
    with pytest.raises(ValueError, match="height and width"):
        visualization.draw_segmentation_masks(KERAS["seg_images"], KERAS["seg_masks"][:, :3])
