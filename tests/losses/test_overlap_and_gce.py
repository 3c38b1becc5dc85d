import numpy as np
import pytest
import torch

import lamina

Y_TRUE = [[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]]
Y_PRED = [[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]]


def test_dice_matches_keras():
    # from Keras 3.15.1, JAX backend
    per_sample = lamina.losses.Dice(axis=(1, 2, 3), reduction=None)(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(per_sample, [0.5, 0.75757575], rtol=1e-6)
    np.testing.assert_allclose(lamina.losses.Dice()(Y_TRUE, Y_PRED), 0.6164384, rtol=1e-6)
    np.testing.assert_allclose(lamina.losses.dice(np.array(Y_TRUE), np.array(Y_PRED)), 0.6164384,
                               rtol=1e-6)
    assert lamina.losses.get("Dice").get_config() == {
        "name": "dice", "reduction": "sum_over_batch_size", "axis": None}


def test_tversky_matches_keras():
    # from Keras 3.15.1, JAX backend
    np.testing.assert_allclose(lamina.losses.Tversky(alpha=0.3, beta=0.7)(Y_TRUE, Y_PRED),
                               0.6011396, rtol=1e-6)
    np.testing.assert_allclose(lamina.losses.tversky(Y_TRUE, Y_PRED, 0.3, 0.7, axis=(1, 2, 3)),
                               [0.5, 0.7350993], rtol=1e-6)


def test_generalized_cross_entropy():
    y_true = np.array([0, 1, 0, 1])
    y_pred = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]])
    # from Keras 3.15.1, JAX backend
    loss = lamina.losses.CategoricalGeneralizedCrossEntropy()
    np.testing.assert_allclose(loss(y_true, y_pred), 0.3598597, rtol=1e-6)
    per_sample = lamina.losses.categorical_generalized_cross_entropy(y_true, y_pred, q=0.3)
    p = torch.tensor([0.7, 0.8, 0.6, 0.6])
    np.testing.assert_allclose(per_sample, (1 - p ** 0.3) / 0.3, rtol=1e-6)
    assert lamina.losses.CategoricalGeneralizedCrossEntropy(q=0.2).get_config() == {
        "name": "categorical_generalized_cross_entropy", "reduction": "sum_over_batch_size",
        "q": 0.2}
    with pytest.raises(ValueError, match=r"q must be in the interval \(0, 1\)"):
        lamina.losses.CategoricalGeneralizedCrossEntropy(q=1)
    with pytest.raises(ValueError, match=r"must be in \[0, 2\) for 2 classes"):
        lamina.losses.categorical_generalized_cross_entropy(np.array([2]), y_pred[:1], q=0.5)
