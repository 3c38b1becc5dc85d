"""Regularizer penalties and configs against Keras 3 (fixture) and the formulas."""

import json
import pathlib

import pytest
import torch

from lamina import regularizers
from lamina.registry import object_registry

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "keras_regularizers.json").read_text()
)


def _weight(name, dtype=torch.float32):
    return torch.tensor(FIXTURE["weights"][name], dtype=dtype)


def _case_id(case):
    return f"{case['class_name']}{case['kwargs']}[{case['weight']}]"


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=_case_id)
def test_penalty_matches_keras(case):
    regularizer = getattr(regularizers, case["class_name"])(**case["kwargs"])
    penalty = regularizer(_weight(case["weight"]))
    assert penalty.shape == () and penalty.dtype == torch.float32
    assert penalty.item() == pytest.approx(case["penalty"], rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=_case_id)
def test_config_matches_keras(case):
    regularizer = getattr(regularizers, case["class_name"])(**case["kwargs"])
    serialized = regularizers.serialize(regularizer)
    keras_serialized = case["serialized"]
    assert {k: v for k, v in serialized.items() if k != "config"} == {
        k: v for k, v in keras_serialized.items() if k != "config"}
    assert list(serialized["config"]) == list(keras_serialized["config"])
    for key, value in keras_serialized["config"].items():
        # Keras stores some factors as float32 (0.01 -> 0.009999999776); lamina keeps 0.01.
        assert serialized["config"][key] == (pytest.approx(value, rel=1e-7)
                                             if isinstance(value, float) else value)
    restored = regularizers.deserialize(keras_serialized)
    assert type(restored) is type(regularizer)
    assert restored(_weight(case["weight"])).item() == pytest.approx(case["penalty"], rel=1e-5)


def test_formulas_in_float64():
    w = torch.randn(7, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(regularizers.L1(0.3)(w), 0.3 * w.abs().sum())
    torch.testing.assert_close(regularizers.L2(0.2)(w), 0.2 * (w**2).sum())
    torch.testing.assert_close(regularizers.L1L2(0.1, 0.4)(w),
                               0.1 * w.abs().sum() + 0.4 * (w**2).sum())
    assert regularizers.L2()(w).dtype == torch.float64


def test_orthogonal_regularizer_formula():
    w = torch.randn(6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for mode, vectors in (("rows", w), ("columns", w.T)):
        unit = vectors / vectors.norm(dim=1, keepdim=True)
        cosines = unit @ unit.T
        n = cosines.shape[0]
        # Mean |cosine| over distinct pairs: the off-diagonal sum counts each pair twice.
        mean_abs = (cosines.abs().sum() - cosines.diagonal().abs().sum()) / (n * (n - 1))
        expected = 0.3 * mean_abs
        torch.testing.assert_close(regularizers.OrthogonalRegularizer(0.3, mode)(w), expected)
    assert regularizers.OrthogonalRegularizer()(torch.eye(4)).item() == 0.0


def test_gradient_flows():
    w = torch.randn(3, 3, requires_grad=True)
    regularizers.L2(0.5)(w).backward()
    torch.testing.assert_close(w.grad, w.detach())


def test_names_match_keras():
    for name, class_name in FIXTURE["names"].items():
        assert type(regularizers.get(name)).__name__ == class_name, name
    assert set(FIXTURE["names"]) <= set(object_registry.builtin_names("regularizers"))


def test_string_defaults():
    assert regularizers.get("l1").get_config() == {"l1": 0.01}
    assert regularizers.get("l2").get_config() == {"l2": 0.01}
    # "l1_l2" as documented (Keras 2 and Keras 3's docs), though Keras 3.15 rejects the string.
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert regularizers.deserialize("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert regularizers.get("L1L2").get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.l1_l2(l2=0.3).get_config() == {"l1": 0.0, "l2": 0.3}


def test_get_variants():
    assert regularizers.get(None) is None
    reg = regularizers.L2(0.3)
    assert regularizers.get(reg) is reg
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)
    assert regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5

    def custom(weight):
        return weight.sum()

    assert regularizers.get(custom) is custom


def test_none_factor_means_default():
    assert regularizers.L1(None).l1 == 0.01
    assert regularizers.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


@pytest.mark.parametrize("build, message", [
    (lambda: regularizers.L1(-0.1), r"`l1`: expected a non-negative float. Received: l1=-0.1"),
    (lambda: regularizers.L2("0.1"), r"`l2`: expected a non-negative float"),
    (lambda: regularizers.L1L2(l2=float("inf")), r"`l2`"),
    (lambda: regularizers.OrthogonalRegularizer(mode="diagonal"), r"Invalid `mode`: 'diagonal'"),
])
def test_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_orthogonal_regularizer_needs_2d():
    with pytest.raises(ValueError, match=r"2D weights.*\(2, 2, 2\)"):
        regularizers.OrthogonalRegularizer()(torch.ones(2, 2, 2))


def test_unknown_name():
    with pytest.raises(ValueError, match=r"Unknown regularizer: 'l3'.*l1_l2"):
        regularizers.get("l3")


def test_custom_subclass_without_config_says_how_to_fix():
    class Penalty(regularizers.Regularizer):
        def __call__(self, x):
            return x.sum()

    with pytest.raises(NotImplementedError, match="get_config"):
        regularizers.serialize(Penalty())


@pytest.mark.parametrize("name", ["l1", "l2", "l1_l2", "orthogonal_regularizer"])
def test_penalty_stays_on_the_weight_device(name):
    # The meta device stands in for CUDA: no CPU tensors or host syncs inside a penalty.
    penalty = regularizers.get(name)(torch.empty(4, 3, device="meta"))
    assert penalty.device.type == "meta" and penalty.shape == ()
