"""lamina.ops against values and dtypes recorded from real Keras 3 (see fixtures/make_fixtures.py).

The same expression strings run here with `ops` = lamina.ops.
"""

import importlib.util
import json
import os

import numpy as np
import pytest

from lamina import ops

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
_spec = importlib.util.spec_from_file_location("ops_fixture_cases", os.path.join(HERE, "make_fixtures.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)
with open(os.path.join(HERE, "keras_ops.json")) as f:
    REFERENCE = json.load(f)


def evaluate(expr):
    return eval(expr, {"ops": ops, "np": np})


@pytest.mark.parametrize("name", sorted(cases.DTYPE_CASES))
def test_result_dtype_matches_keras(name):
    assert ops.dtype(evaluate(cases.DTYPE_CASES[name])) == REFERENCE["dtypes"][name]


@pytest.mark.parametrize("name", sorted(cases.VALUE_CASES))
def test_values_match_keras(name):
    expected = REFERENCE["values"][name]
    result = ops.convert_to_numpy(evaluate(cases.VALUE_CASES[name]))
    assert str(result.dtype) == expected["dtype"]
    assert list(result.shape) == expected["shape"]
    np.testing.assert_allclose(result, np.array(expected["values"]), rtol=1e-5, atol=2e-6)
