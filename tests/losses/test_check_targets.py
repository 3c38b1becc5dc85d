"""`check_targets`: labels that do not fit the loss fail before training, with the fix."""

import numpy as np
import pytest
import torch

from lamina import losses
from lamina.losses import check_targets

CLASS_IDS = np.array([0, 3, 9, 1, 2, 5, 7, 4, 6, 8])


def test_ten_classes_into_one_sigmoid_unit():
    with pytest.raises(ValueError, match=r"looks like 10 classes.*Dense\(10, activation='softmax'\)"
                       r".*sparse_categorical_crossentropy"):
        check_targets("binary_crossentropy", CLASS_IDS, (None, 1))


def test_one_hot_labels_with_sparse_loss():
    one_hot = np.eye(10)[CLASS_IDS]
    with pytest.raises(ValueError,
                       match=r"looks one-hot encoded.*categorical_crossentropy.*argmax"):
        check_targets(losses.SparseCategoricalCrossentropy(), one_hot, (None, 10))


def test_integer_labels_with_categorical_loss():
    with pytest.raises(ValueError, match=r"expects one-hot labels of shape \(batch, 10\).*"
                       r"sparse_categorical_crossentropy.*to_categorical\(y, 10\)"):
        check_targets("categorical_crossentropy", CLASS_IDS, (None, 10))
    with pytest.raises(ValueError, match="to_categorical"):
        check_targets(losses.categorical_crossentropy, CLASS_IDS.reshape(-1, 1), (None, 10))


def test_sparse_labels_beyond_the_output_units():
    with pytest.raises(ValueError, match=r"class id 9 but the model outputs only 5 units.*"
                       r"Dense\(10\)"):
        check_targets("sparse_categorical_crossentropy", CLASS_IDS, (None, 5))


def test_sparse_labels_with_one_output_unit():
    with pytest.raises(ValueError, match=r"single output unit.*binary_crossentropy"):
        check_targets("sparse_categorical_crossentropy", np.array([0, 1, 1]), (None, 1))


def test_negative_sparse_labels_suggest_ignore_class():
    with pytest.raises(ValueError, match=r"contains -1.*ignore_class=-1"):
        check_targets("sparse_categorical_crossentropy", np.array([0, -1, 2]), (None, 3))
    # ... and are fine once ignored.
    check_targets(losses.SparseCategoricalCrossentropy(ignore_class=-1), np.array([0, -1, 2]),
                  (None, 3))


def test_non_integer_sparse_labels():
    with pytest.raises(ValueError, match=r"non-integer values such as 0.5"):
        check_targets("sparse_categorical_crossentropy", np.array([0.0, 0.5, 2.0]), (None, 3))


def test_binary_labels_outside_unit_interval():
    with pytest.raises(ValueError, match=r"-1/1 labels.*\(y \+ 1\) / 2.*hinge"):
        check_targets("binary_crossentropy", np.array([-1, 1, 1, -1]), (None, 1))
    with pytest.raises(ValueError, match=r"ranges from 0 to 2.5.*mse"):
        check_targets("binary_crossentropy", np.array([[0.0], [2.5]]), (None, 1))


def test_class_ids_into_binary_loss_with_several_units():
    with pytest.raises(ValueError, match=r"outputs 4 units.*sparse_categorical_crossentropy"):
        check_targets("binary_crossentropy", np.array([0, 1, 3]), (None, 4))


def test_one_hot_into_single_unit_binary():
    with pytest.raises(ValueError, match=r"3 columns.*Dense\(3, activation='softmax'\)"):
        check_targets("binary_crossentropy", np.eye(3), (None, 1))


def test_categorical_on_one_unit():
    with pytest.raises(ValueError, match=r"1 output unit is always 0.*binary_crossentropy"):
        check_targets("categorical_crossentropy", np.ones((4, 1)), (None, 1))


def test_one_hot_width_differs_from_units():
    with pytest.raises(ValueError, match=r"y has 4 columns.*outputs 3 units.*Dense\(4"):
        check_targets("categorical_crossentropy", np.eye(4), (None, 3))


def test_regression_shapes_that_broadcast_warn_as_keras_trains_them():
    # Keras 3 broadcasts these (its own BackupAndRestore example fits y (5,) to a (5, 10)
    # output), so they are warnings with the likely fix, not errors.
    with pytest.warns(UserWarning, match=r"y.shape=\(6, 10\).*\(None, 1\).*output 10 units"):
        check_targets("mse", np.zeros((6, 10)), (None, 1))
    with pytest.warns(UserWarning, match=r"class ids for 10 classes.*sparse_categorical"):
        check_targets("mae", CLASS_IDS, (None, 10))
    with pytest.raises(ValueError, match=r"y.shape=\(6, 3\).*\(None, 2\)"):
        check_targets("mse", np.zeros((6, 3)), (None, 2))  # cannot broadcast: cannot run


def test_batch_and_sequence_length_mismatch():
    with pytest.raises(ValueError, match=r"6 samples but the model output has batch size 4"):
        check_targets("mse", np.zeros((6, 1)), (4, 1))
    with pytest.raises(ValueError, match="sequence lengths differ"):
        check_targets("sparse_categorical_crossentropy", np.zeros((6, 12)), (None, 10, 5))
    with pytest.raises(ValueError, match="sequence lengths differ"):
        check_targets("mse", np.zeros((6, 12, 2)), (None, 10, 2))


def test_nan_targets():
    with pytest.raises(ValueError, match=r"1 NaN or infinite values"):
        check_targets("mse", np.array([[1.0], [np.nan]]), (None, 1))


@pytest.mark.parametrize("loss, y, shape", [
    ("binary_crossentropy", np.array([0, 1, 1]), (None, 1)),
    ("binary_crossentropy", np.array([[0], [1]]), (None, 1)),
    ("binary_crossentropy", np.random.rand(5, 3), (None, 3)),
    (losses.BinaryCrossentropy(from_logits=True), torch.tensor([0.0, 1.0]), (None, 1)),
    ("sparse_categorical_crossentropy", CLASS_IDS, (None, 10)),
    ("sparse_categorical_crossentropy", CLASS_IDS.reshape(-1, 1), (None, 10)),
    ("sparse_categorical_crossentropy", np.zeros((4, 7), int), (None, 7, 3)),
    ("categorical_crossentropy", np.eye(10)[CLASS_IDS], (None, 10)),
    ("mse", np.random.rand(8), (None, 1)),
    ("mse", np.random.rand(8, 1), (None,)),
    ("mae", np.random.rand(8, 3), (None, 3)),
    ("huber", np.random.rand(4, 5, 2), (None, 5, 2)),
    (losses.Huber(), np.random.rand(4), (None, 1)),
    (lambda t, p: (t - p).abs(), np.zeros((3, 9)), (None, 1)),  # custom: not checked
])
def test_fitting_targets_pass(loss, y, shape):
    check_targets(loss, y, shape)
