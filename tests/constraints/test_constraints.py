"""Constraint outputs and configs against Keras 3 (fixture) and the formulas."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import config, constraints
from lamina.registry import object_registry

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "keras_constraints.json").read_text()
)


def _case_id(case):
    return f"{case['class_name']}{case['kwargs']}[{case['weight']}]"


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=_case_id)
def test_output_matches_keras(case):
    constraint = getattr(constraints, case["class_name"])(**case["kwargs"])
    w = torch.tensor(FIXTURE["weights"][case["weight"]], dtype=torch.float32)
    result = constraint(w)
    assert result.dtype == torch.float32 and result.shape == w.shape
    np.testing.assert_allclose(result.numpy(), case["output"], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=_case_id)
def test_config_matches_keras(case):
    constraint = getattr(constraints, case["class_name"])(**case["kwargs"])
    assert constraints.serialize(constraint) == case["serialized"]
    restored = constraints.deserialize(json.loads(json.dumps(case["serialized"])))
    assert type(restored) is type(constraint)
    assert restored.get_config() == constraint.get_config()


def test_max_norm_formula():
    w = torch.randn(5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 3
    norms = w.norm(dim=0, keepdim=True)
    expected = w * norms.clamp(max=2.0) / (config.epsilon() + norms)
    torch.testing.assert_close(constraints.MaxNorm()(w), expected)
    assert torch.all(constraints.MaxNorm(1.0)(w).norm(dim=0) <= 1.0)


def test_unit_norm_gives_unit_vectors():
    w = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(constraints.UnitNorm()(w).norm(dim=0),
                               torch.ones(3, dtype=torch.float64))
    torch.testing.assert_close(constraints.UnitNorm(axis=1)(w).norm(dim=1),
                               torch.ones(6, dtype=torch.float64))


def test_min_max_norm_rate():
    w = torch.tensor([[3.0], [4.0]], dtype=torch.float64)  # norm 5
    full = constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=1.0)(w)
    half = constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(w)
    assert full.norm().item() == pytest.approx(2.0, rel=1e-6)
    assert half.norm().item() == pytest.approx(3.5, rel=1e-6)


def test_non_neg():
    w = torch.tensor([-1.0, 0.0, 2.0])
    torch.testing.assert_close(constraints.NonNeg()(w), torch.tensor([0.0, 0.0, 2.0]))


def test_names_match_keras():
    for name, class_name in FIXTURE["names"].items():
        assert type(constraints.get(name)).__name__ == class_name, name
    assert object_registry.builtin_names("constraints") == sorted(FIXTURE["names"])


@pytest.mark.parametrize("old, new", [("maxnorm", constraints.MaxNorm),
                                      ("nonneg", constraints.NonNeg),
                                      ("unitnorm", constraints.UnitNorm)])
def test_keras2_names_warn_and_work(old, new):
    with pytest.warns(DeprecationWarning, match=f'"{old}".*use'):
        assert isinstance(constraints.get(old), new)


def test_get_variants():
    assert constraints.get(None) is None
    c = constraints.MaxNorm(3)
    assert constraints.get(c) is c
    assert constraints.get({"class_name": "UnitNorm", "config": {"axis": 1}}).axis == 1
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)


def test_unknown_name():
    with pytest.raises(ValueError, match=r"Unknown constraint: 'max_nrom'.*max_norm"):
        constraints.get("max_nrom")


def test_keeps_dtype_and_accepts_arrays():
    w64 = torch.ones(3, 2, dtype=torch.float64)
    assert constraints.MaxNorm()(w64).dtype == torch.float64
    assert constraints.UnitNorm()(np.ones((2, 2), dtype="float32")).dtype == torch.float32


@pytest.mark.parametrize("name", ["max_norm", "min_max_norm", "non_neg", "unit_norm"])
def test_output_stays_on_the_weight_device(name):
    result = constraints.get(name)(torch.empty(4, 3, device="meta"))
    assert result.device.type == "meta" and result.shape == (4, 3)
