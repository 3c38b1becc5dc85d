"""F-scores, IoUs, rates at a constraint, R2 and correlations against real Keras 3
(fixtures/scores.json): several weighted updates, the running result after each, then reset
and one more update."""

import json
import pathlib
import re

import numpy as np
import pytest
import torch

from lamina import metrics

FIXTURES = json.loads((pathlib.Path(__file__).parent / "fixtures" / "scores.json").read_text())


def _case_id(case):
    options = ",".join(f"{k}={v}" for k, v in case["kwargs"].items())
    return f"{case['class']}({options})"


def _arrays(data):
    *labels, predictions = data
    return [np.array(x) for x in labels] + [torch.tensor(predictions, dtype=torch.float32)]


def _check(value, expected, what):
    np.testing.assert_allclose(torch.as_tensor(value).numpy(), expected, rtol=5e-5, atol=2e-6,
                               err_msg=what)


def _update(metric, data, sample_weight):
    weight = None if sample_weight is None else np.array(sample_weight)
    metric.update_state(*_arrays(data), sample_weight=weight)


@pytest.mark.parametrize("case", FIXTURES["cases"], ids=_case_id)
def test_metric_matches_keras(case):
    metric = getattr(metrics, case["class"])(**case["kwargs"])
    # Default names as Keras gives them (without the "_1", "_2" that make them unique).
    assert re.sub(r"_\d+$", "", metric.name) == re.sub(r"_\d+$", "", case["name"])
    for step, (*data, sample_weight) in enumerate(case["batches"]):
        _update(metric, data, sample_weight)
        _check(metric.result(), case["results"][step], f"after update {step + 1}")
    metric.reset_state()
    *data, sample_weight = case["batches"][-1]
    _update(metric, data, sample_weight)
    _check(metric.result(), case["after_reset"], "after reset + one update")
