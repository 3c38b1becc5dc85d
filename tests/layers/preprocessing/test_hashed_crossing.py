"""HashedCrossing's bins are TensorFlow's `sparse.cross_hashed` (what Keras 3 uses on every
backend). Keras's HashedCrossing needs TensorFlow, so the reference values are TensorFlow's own
test values (tensorflow/python/kernel_tests/sparse_ops/sparse_cross_op_test.py) and the
examples of Keras's HashedCrossing docstring."""

import numpy as np
import pytest
import torch

import lamina
from lamina import layers
from lamina.layers.preprocessing.hashed_crossing import cross_hash

FEATURES = ["batch1-FC1-F1", "batch1-FC2-F1", "batch1-FC3-F1"]


def test_cross_hash_matches_tensorflow_test_values():
    assert cross_hash(FEATURES, 2**63 - 1) == 1971693436396284976  # num_buckets=0 in TF
    assert cross_hash(FEATURES, 100) == 83
    assert cross_hash(FEATURES, 2**63 - 1, key=0xDECAFCAFFE + 1) == 4847552627144134031


def test_keras_docstring_examples():
    strings = np.array(["A", "B", "A", "B", "A"])
    ints = np.array([101, 101, 101, 102, 102])
    bins = layers.HashedCrossing(num_bins=5)((strings, ints))
    assert bins.dtype == torch.int64
    assert bins.tolist() == [1, 4, 1, 1, 3]
    one_hot = layers.HashedCrossing(num_bins=5, output_mode="one_hot")((strings, ints))
    assert one_hot.dtype == torch.float32
    np.testing.assert_array_equal(one_hot, np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])


def test_shapes_scalar_batch_and_column():
    layer = layers.HashedCrossing(num_bins=5)
    assert layer((np.array("A"), np.array(101))).shape == ()
    assert layer((np.array("A"), np.array(101))).item() == 1
    column = layer((np.array([["A"], ["B"]]), np.array([[101], [101]])))
    assert column.tolist() == [[1], [4]]
    one_hot = layers.HashedCrossing(num_bins=5, output_mode="one_hot")
    assert one_hot((np.array([["A"], ["B"]]), np.array([[101], [101]]))).shape == (2, 5)
    assert one_hot((np.array("A"), np.array(101))).shape == (5,)


def test_integers_as_tensors_keep_their_device_and_three_features_cross():
    a, b, c = torch.tensor([1, 2]), torch.tensor([3, 4]), torch.tensor([5, 6])
    bins = layers.HashedCrossing(num_bins=1000)((a, b, c))
    assert bins.tolist() == [cross_hash([1, 3, 5], 1000), cross_hash([2, 4, 6], 1000)]


def test_in_a_functional_model_and_from_config():
    x, y = lamina.Input((1,), dtype="int64"), lamina.Input((1,), dtype="int64")
    layer = layers.HashedCrossing(num_bins=7, output_mode="one_hot")
    output = layer((x, y))
    assert output.shape == (None, 7)
    model = lamina.Model([x, y], output)
    data = [np.array([[3], [4]]), np.array([[101], [102]])]
    expected = np.eye(7)[[cross_hash([3, 101], 7), cross_hash([4, 102], 7)]]
    np.testing.assert_array_equal(model.predict(data, verbose=0), expected)
    again = lamina.Model.from_config(model.get_config())
    np.testing.assert_array_equal(again.predict(data, verbose=0), expected)


def test_config_is_keras():
    # Keras's get_config: exactly these keys, dtype as a plain string.
    assert layers.HashedCrossing(num_bins=3, name="cross").get_config() == {
        "num_bins": 3, "output_mode": "int", "sparse": False, "name": "cross", "dtype": "int64"}
    config = layers.HashedCrossing(num_bins=3, output_mode="one_hot").get_config()
    assert config["dtype"] == "float32"
    assert layers.HashedCrossing.from_config(config).output_mode == "one_hot"


@pytest.mark.parametrize("inputs, message", [
    (np.array([1, 2]), "list or tuple of features"),
    ((np.array([1, 2]),), "at least two features"),
    ((np.array([1.5, 2.0]), np.array([1, 2])), "integers or strings"),
    ((np.ones((2, 2), "int64"), np.ones((2, 2), "int64")), "\\(batch_size, 1\\)"),
    ((np.array([1, 2]), np.array([1, 2, 3])), "same shape"),
])
def test_bad_inputs_are_explained(inputs, message):
    with pytest.raises(ValueError, match=message):
        layers.HashedCrossing(num_bins=3)(inputs)


@pytest.mark.parametrize("kwargs, message", [
    ({"output_mode": "multi_hot"}, "'int' or 'one_hot'"),
    ({"sparse": True}, "sparse=False"),
    ({"num_bins": 0}, "num_bins=0"),
])
def test_bad_arguments_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.HashedCrossing(**{"num_bins": 3, **kwargs})
