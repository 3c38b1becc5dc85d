"""Metric behaviours that Keras 3.15's own docstring examples show (found by the conformance
harness, `python -m conformance`)."""

import numpy as np
import pytest

import lamina as keras


def test_precision_top_k_breaks_ties_toward_the_first_entries():
    # Keras 3.15 docstring: top_k=2 over equal scores takes y_true[:2] -> 0.0; top_k=4 -> 0.5
    m = keras.metrics.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert float(m.result()) == 0.0
    m = keras.metrics.Precision(top_k=4)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert float(m.result()) == pytest.approx(0.5)


def test_iou_update_state_returns_the_confusion_matrix():
    m = keras.metrics.IoU(num_classes=2, target_class_ids=[0])
    matrix = m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    np.testing.assert_array_equal(np.asarray(matrix), [[1, 1], [1, 1]])  # Keras 3.15 (jax)
    binary = keras.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    assert np.asarray(binary.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])).shape == (2, 2)
