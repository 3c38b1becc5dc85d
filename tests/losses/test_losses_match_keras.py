"""Every built-in loss against values computed by real Keras 3 (fixtures/losses.json)."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import losses

FIXTURES = json.loads((pathlib.Path(__file__).parent / "fixtures" / "losses.json").read_text())
WEIGHTS = FIXTURES["sample_weight"]
MAIN = [case for case in FIXTURES["cases"] if "expected" in case]
SEQUENCE = [case for case in FIXTURES["cases"] if "expected_sum_over_batch_size" in case]


def _case_id(case):
    options = ",".join(f"{k}={v}" for k, v in case["kwargs"].items())
    return f"{case['class']}({options})-{np.shape(case['y_true'])}"


def _inputs(case):
    return np.array(case["y_true"]), torch.tensor(case["y_pred"], dtype=torch.float32)


@pytest.mark.parametrize("case", MAIN, ids=_case_id)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_loss_matches_keras_for_every_reduction(case, weighted):
    y_true, y_pred = _inputs(case)
    expected = case["expected_weighted" if weighted else "expected"]
    for reduction, reference in zip(FIXTURES["reductions"], expected):
        loss = getattr(losses, case["class"])(reduction=reduction, **case["kwargs"])
        value = loss(y_true, y_pred, sample_weight=np.array(WEIGHTS) if weighted else None)
        np.testing.assert_allclose(value.numpy(), reference, rtol=2e-5, atol=2e-6,
                                   err_msg=f"reduction={reduction}")


@pytest.mark.parametrize("case", MAIN[:3] + MAIN[-4:], ids=_case_id)
def test_mean_is_sum_over_batch_size(case):
    y_true, y_pred = _inputs(case)
    cls = getattr(losses, case["class"])
    mean = cls(reduction="mean", **case["kwargs"])(y_true, y_pred, np.array(WEIGHTS))
    expected = case["expected_weighted"][FIXTURES["reductions"].index("sum_over_batch_size")]
    np.testing.assert_allclose(mean.numpy(), expected, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", SEQUENCE, ids=lambda c: f"{c['kwargs']}-{c['sample_weight']}")
def test_per_timestep_sparse_crossentropy_matches_keras(case):
    y_true, y_pred = _inputs(case)
    weights = case["sample_weight"]
    loss = losses.SparseCategoricalCrossentropy(**case["kwargs"])
    value = loss(y_true, y_pred, None if weights is None else np.array(weights))
    np.testing.assert_allclose(value.numpy(), case["expected_sum_over_batch_size"], rtol=2e-5)


@pytest.mark.parametrize("case", MAIN, ids=_case_id)
def test_function_gives_the_per_sample_losses(case):
    """`losses.<function>(y_true, y_pred)` is the class with reduction=None (Keras's pairing)."""
    y_true, y_pred = _inputs(case)
    loss = getattr(losses, case["class"])(reduction=None, **case["kwargs"])
    direct = loss.fn(torch.as_tensor(y_true), y_pred, **case["kwargs"])
    reference = case["expected"][FIXTURES["reductions"].index(None)]
    np.testing.assert_allclose(direct.reshape(np.shape(reference)).numpy(), reference,
                               rtol=2e-5, atol=2e-6)
