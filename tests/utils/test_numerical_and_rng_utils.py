"""to_categorical / normalize (against Keras 3 output) and set_random_seed."""

import json
import os
import random

import numpy as np
import pytest
import torch

from lamina.utils.numerical_utils import normalize, to_categorical
from lamina.utils.rng_utils import set_random_seed

with open(os.path.join(os.path.dirname(__file__), "fixtures", "keras_utils.json"), encoding="utf-8") as f:
    KERAS = json.load(f)

CATEGORICAL_INPUTS = {
    "vector": ([0, 2, 1], None),
    "column": (np.array([[1], [0], [3]]), None),
    "matrix_num_classes": ([[0, 1], [2, 0]], 4),
}


@pytest.mark.parametrize("name", sorted(CATEGORICAL_INPUTS))
def test_to_categorical_matches_keras_values_as_float32(name):
    labels, num_classes = CATEGORICAL_INPUTS[name]
    result = to_categorical(labels, num_classes)
    assert result.dtype == np.float32  # Keras 3 gives float64 here; see the docstring
    np.testing.assert_array_equal(result, np.array(KERAS["to_categorical"][name]["values"]))


def test_to_categorical_of_a_tensor_returns_a_tensor():
    result = to_categorical(torch.tensor([[2], [0]]), 3)
    assert isinstance(result, torch.Tensor)
    np.testing.assert_array_equal(result.numpy(), [[0, 0, 1], [1, 0, 0]])


def test_to_categorical_rejects_bad_labels():
    with pytest.raises(ValueError, match=r"must be in \[0, 2\] for num_classes=3"):
        to_categorical([0, 3], 3)
    with pytest.raises(ValueError, match="integer class indices"):
        to_categorical([0.5, 1.0])


def test_normalize_matches_keras():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    np.testing.assert_allclose(normalize(x), KERAS["normalize_l2"])
    np.testing.assert_allclose(normalize(x, order=1), KERAS["normalize_l1"])


def test_normalize_along_axis_0():
    # Keras 3.15 fails here (it turns axis=0 into -1); the column norms are what is asked for.
    x = np.array([[3.0, 1.0], [4.0, 0.0]])
    np.testing.assert_allclose(normalize(x, axis=0), [[0.6, 1.0], [0.8, 0.0]])


def test_normalize_tensor_uses_ops():
    x = torch.tensor([[3.0, 4.0]])
    torch.testing.assert_close(normalize(x), torch.tensor([[0.6, 0.8]]))


def test_set_random_seed_seeds_python_numpy_and_torch():
    def draws():
        return random.random(), np.random.rand(), torch.rand(1).item()

    set_random_seed(1234)
    first = draws()
    set_random_seed(1234)
    assert draws() == first
    set_random_seed(1235)
    assert draws() != first


@pytest.mark.parametrize("bad", [1.5, "42", None, True, -1])
def test_set_random_seed_rejects_non_integers(bad):
    with pytest.raises(ValueError, match="seed"):
        set_random_seed(bad)
