import numpy as np

from lamina.datasets import pima_indians_diabetes


def test_shapes_dtypes_and_class_balance():
    x, y = pima_indians_diabetes.load_data()
    assert x.shape == (768, 8) and x.dtype == np.float32
    assert y.shape == (768,) and y.dtype == np.float32
    assert int(y.sum()) == 268
    assert set(np.unique(y).tolist()) == {0.0, 1.0}


def test_first_row():
    x, y = pima_indians_diabetes.load_data()
    np.testing.assert_allclose(x[0], [6, 148, 72, 35, 0, 33.6, 0.627, 50], rtol=1e-6)
    assert y[0] == 1.0 and y[1] == 0.0


def test_columns_documented_in_order():
    assert pima_indians_diabetes.COLUMNS[1] == "glucose"
    assert len(pima_indians_diabetes.COLUMNS) == 8
