import numpy as np
import pytest
import torch

from lamina.utils import bounding_boxes as bb

BOXES = np.array([[10, 20, 30, 40], [50, 60, 70, 80]])


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-5, atol=1e-4)


def test_convert_format():
    # from Keras 3.15.1, JAX backend
    close(bb.convert_format(BOXES, "xyxy", "xywh"), [[10, 20, 20, 20], [50, 60, 20, 20]])
    close(bb.convert_format(BOXES, "xyxy", "rel_xyxy", height=200, width=300),
          [[0.0333333, 0.1, 0.1, 0.2], [0.1666667, 0.3, 0.2333333, 0.4]])
    close(bb.convert_format(BOXES, "XYXY", "center_yxhw"), [[30, 20, 20, 20], [70, 60, 20, 20]])
    for fmt in ("yxyx", "center_xywh", "rel_yxyx", "rel_xywh", "rel_center_xywh"):
        there = bb.convert_format(BOXES, "xyxy", fmt, height=200, width=300)
        close(bb.convert_format(there, fmt, "xyxy", height=200, width=300), BOXES)
    boxes = {"boxes": BOXES, "labels": np.array([1, 2])}
    assert bb.convert_format(boxes, "xyxy", "yxyx") is boxes
    close(boxes["boxes"], [[20, 10, 40, 30], [60, 50, 80, 70]])


def test_clip_crop_pad():
    out = bb.clip_to_image_size({"boxes": np.array([[-10, -20, 150, 160], [50, 40, 70, 80],
                                                    [130, 10, 140, 20]]),
                                 "labels": np.array([0, 1, 2])}, height=100, width=120)
    close(out["boxes"], [[0, 0, 120, 100], [50, 40, 70, 80], [120, 10, 120, 20]])
    assert out["labels"].tolist() == [0, 1, -1]  # no area left: label -1
    close(bb.clip_to_image_size({"boxes": np.array([[-.1, .2, 1.5, .6]])},
                                bounding_box_format="rel_xyxy")["boxes"], [[0, .2, 1, .6]])
    cropped = bb.crop(np.array([[10, 20, 50, 60], [70, 80, 100, 120]]), top=10, left=20,
                      height=40, width=30)
    close(cropped, [[0, 10, 30, 40], [30, 40, 30, 40]])
    close(bb.pad(np.array([[10, 20, 50, 60]]), top=5, left=7), [[17, 25, 57, 65]])


def test_affine_transform():
    boxes = np.array([[[10., 20, 50, 60], [70, 80, 100, 120]], [[0, 0, 10, 10], [5, 5, 20, 30]]])
    out = bb.affine_transform(boxes, np.array([0., 0]), np.array([0., 0]), np.array([0., 0]),
                              np.array([1., 1]), np.array([0., 0]), np.array([0., 0]), 128, 96)
    close(out, boxes)  # the identity transform
    out = bb.affine_transform(boxes[:1], np.array([0.]), np.array([0.5]), np.array([0.]),
                              np.array([1.]), np.array([0.]), np.array([0.]), 128, 97)
    close(out, boxes[:1] + [48, 0, 48, 0])  # shift by half of (width - 1)


def test_deltas_round_trip_and_iou():
    anchors = np.array([[0., 0, 10, 10], [5, 5, 25, 15]])
    gt = np.array([[1., 2, 9, 12], [4, 6, 30, 14]])
    deltas = bb.encode_box_to_deltas(anchors, gt, "xyxy", "xyxy", variance=[.1, .1, .2, .2])
    # centre offset / anchor size, then log size ratio (center_yxhw order), / variance
    close(deltas[0], [np.array(0.2) / .1, 0, np.log(1.0) / .2, np.log(0.8) / .2])
    close(bb.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xyxy", variance=[.1, .1, .2, .2]), gt)
    # from Keras 3.15.1, JAX backend
    close(bb.compute_iou(anchors, gt, "xyxy"), [[0.55172, 0.08451], [0.11111, 0.64516]])
    close(bb.compute_ciou(anchors, gt, "xyxy"), [0.53528, 0.63967])
    masked = bb.compute_iou(np.array([[-1., -1, -1, -1], [0, 0, 10, 10]]), anchors, "xyxy",
                            use_masking=True, mask_val=-5)
    assert masked[0].tolist() == [-5, -5]
    assert isinstance(masked, torch.Tensor)


def test_errors():
    with pytest.raises(ValueError, match="Invalid source or target format"):
        bb.convert_format(BOXES, "xyxy", "foo")
    with pytest.raises(ValueError, match="needs `height` and `width`"):
        bb.convert_format(BOXES, "xyxy", "rel_xyxy")
    with pytest.raises(ValueError, match="last dimension of 4"):
        bb.convert_format(np.zeros((2, 3)), "xyxy", "xywh")
    with pytest.raises(NotImplementedError, match="supports only 'xyxy'"):
        bb.crop(BOXES, 0, 0, 1, 1, bounding_box_format="yxyx")
    with pytest.raises(ValueError, match="`height` and `width` must be set"):
        bb.clip_to_image_size({"boxes": BOXES})
    with pytest.raises(ValueError, match="`variance` must be length 4"):
        bb.encode_box_to_deltas(BOXES, BOXES, "xyxy", "xyxy", variance=[1, 2])
    with pytest.raises(ValueError, match="rank 2 .unbatched. or 3"):
        bb.compute_iou(np.zeros(4), BOXES, "xyxy")
