"""Every recurrent layer against real Keras 3 outputs, with identical weights and inputs."""

import numpy as np
import pytest

from .helpers import API, cases, keras_reference

REFERENCE = keras_reference()


def test_every_case_has_a_reference():
    assert set(REFERENCE) == set(cases.CASES)


@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_outputs_match_keras(name):
    keras_shapes, keras_outputs = REFERENCE[name]
    shapes, outputs = cases.CASES[name](API)
    assert shapes == keras_shapes  # same weight layouts, in Keras's order
    assert len(outputs) == len(keras_outputs)
    for ours, theirs in zip(outputs, keras_outputs):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=0)
