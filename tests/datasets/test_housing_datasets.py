"""Boston and California housing: the same shuffle and split as Keras 3.15 on the same files.

`tests/fixtures/datasets/keras_housing.npz` holds Keras's results on the synthetic
`boston_housing.npz` / `california_housing.npz` (see `make_keras_fixtures.py`).
"""

import json
import pathlib

import numpy as np
import pytest

from lamina.datasets import boston_housing, california_housing

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "datasets"
with np.load(FIXTURES / "keras_housing.npz") as _f:
    KERAS = {key: _f[key] for key in _f.files}
CASES = json.loads(str(KERAS["cases"]))
MODULES = {"boston_housing": boston_housing, "california_housing": california_housing}


@pytest.mark.parametrize("case", sorted(CASES))
def test_equals_keras(install, case):
    name, kwargs = CASES[case]
    module = MODULES[name]
    install(module, f"{name}.npz", FIXTURES / f"{name}.npz")
    (x_train, y_train), (x_test, y_test) = module.load_data(**kwargs)
    for key, value in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                       ("y_test", y_test)):
        expected = KERAS[f"{case}/{key}"]
        assert value.dtype == expected.dtype and value.shape == expected.shape, key
        np.testing.assert_array_equal(value, expected)


def test_split_sizes_and_small_version(install):
    install(california_housing, "california_housing.npz", FIXTURES / "california_housing.npz")
    (x_train, y_train), (x_test, _) = california_housing.load_data(version="small")
    assert x_train.shape == (480, 8) and x_test.shape == (120, 8) and y_train.shape == (480,)
    with np.load(FIXTURES / "california_housing.npz") as f:
        first_600 = f["x"][:600]
    # The small version is a shuffle of the file's first 600 rows.
    together = np.concatenate([x_train, x_test])
    np.testing.assert_array_equal(together[np.lexsort(together.T)],
                                  first_600[np.lexsort(first_600.T)])


@pytest.mark.parametrize("module", [boston_housing, california_housing])
@pytest.mark.parametrize("test_split", [1.0, -0.1])
def test_test_split_must_be_a_fraction(module, test_split):
    with pytest.raises(ValueError, match=f"at least 0 and below 1.*test_split={test_split}"):
        module.load_data(test_split=test_split)


def test_unknown_version():
    with pytest.raises(ValueError, match="'large'.*'small'.*version='medium'"):
        california_housing.load_data(version="medium")
