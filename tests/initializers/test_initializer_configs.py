"""Initializer names, configs and serialization against Keras 3 (fixture)."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import initializers
from lamina.initializers import compute_fans

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "keras_initializers.json").read_text()
)


def _keras_config(case):
    config = dict(case["serialized"]["config"])
    if case["class_name"] == "Identity":
        config["gain"] = 1.0  # Keras 3.15 drops gain from the config; lamina keeps it.
    return config


@pytest.mark.parametrize("case", FIXTURE["configs"], ids=lambda c: f"{c['class_name']}{c['kwargs']}")
def test_config_matches_keras(case):
    initializer = getattr(initializers, case["class_name"])(**case["kwargs"])
    assert initializer.get_config() == _keras_config(case)
    serialized = initializers.serialize(initializer)
    assert serialized == {**case["serialized"], "config": _keras_config(case)}
    # Same key order as Keras, so saved JSON reads the same.
    assert list(serialized["config"]) == list(_keras_config(case))


@pytest.mark.parametrize("case", FIXTURE["configs"], ids=lambda c: f"{c['class_name']}{c['kwargs']}")
def test_keras_config_loads_and_round_trips(case):
    restored = initializers.deserialize(case["serialized"])
    assert type(restored).__name__ == case["class_name"]
    again = type(restored).from_config(restored.get_config())
    assert again.get_config() == restored.get_config()
    assert json.loads(json.dumps(initializers.serialize(again))) == initializers.serialize(again)


def test_names_resolve_like_keras():
    for name, class_name in FIXTURE["names"].items():
        assert type(initializers.get(name)).__name__ == class_name, name


def test_exported_names_match_keras():
    exported = {name for name in dir(initializers) if not name.startswith("_")}
    submodules = {"constant_initializers", "initializer", "orthogonal_initializer",
                  "random_initializers", "stft_initializer", "variance_scaling_initializers"}
    assert exported - submodules == set(FIXTURE["exported"]) | {"compute_fans"}
    for name in FIXTURE["exported"]:
        if name[0].islower() and name not in ("get", "serialize", "deserialize"):
            assert getattr(initializers, name) is type(initializers.get(name)), name


@pytest.mark.parametrize("case", FIXTURE["fans"], ids=lambda c: str(c["shape"]))
def test_compute_fans_matches_keras(case):
    assert list(compute_fans(tuple(case["shape"]))) == case["fans"]


def test_compute_fans_with_explicit_axes():
    assert compute_fans((4, 3, 5, 6), input_axes=[0, 1], output_axes=[2, 3]) == (12, 30)


def test_get_variants():
    assert initializers.get(None) is None
    instance = initializers.HeNormal(seed=1)
    assert initializers.get(instance) is instance
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)
    config = {"class_name": "RandomUniform", "config": {"minval": 0, "maxval": 2}}
    assert initializers.get(config).get_config() == {"seed": None, "minval": 0, "maxval": 2}

    def custom(shape, dtype=None):
        return torch.full(shape, 3.0)

    assert initializers.get(custom) is custom


def test_get_from_values():
    values = np.arange(6, dtype="float64").reshape(2, 3)
    init = initializers.get(values)
    result = init((2, 3))
    assert result.dtype == torch.float32
    np.testing.assert_array_equal(result.numpy(), values)
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*\(3, 2\)"):
        init((3, 2))


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown initializer: 'glorot_unifrom'.*glorot_uniform"):
        initializers.get("glorot_unifrom")


def test_old_configs_load():
    # tf.keras 1.x stored a dtype; Keras 2 wrote distribution="normal" for VarianceScaling.
    zeros = initializers.deserialize({"class_name": "Zeros", "config": {"dtype": "float32"}})
    assert isinstance(zeros, initializers.Zeros)
    scaling = initializers.deserialize(
        {"class_name": "VarianceScaling",
         "config": {"scale": 2.0, "mode": "fan_in", "distribution": "normal", "seed": None}}
    )
    assert scaling.distribution == "truncated_normal"


def test_constant_config_of_array_value_is_json():
    config = initializers.Constant(np.array([1.0, 2.0])).get_config()
    assert config == {"value": [1.0, 2.0]}
    json.dumps(config)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"scale": 0.0}, "`scale` must be a positive number"),
        ({"mode": "fan_sum"}, r"Invalid `mode`: 'fan_sum'.*fan_avg"),
        ({"distribution": "gamma"}, r"Invalid `distribution`: 'gamma'.*uniform"),
        ({"seed": 1.5}, r"`seed` must be an integer or None. Received: seed=1.5"),
    ],
)
def test_variance_scaling_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        initializers.VarianceScaling(**kwargs)


def test_clone_is_an_equal_new_object():
    original = initializers.Orthogonal(gain=3.0, seed=4)
    clone = original.clone()
    assert clone is not original and clone.get_config() == original.get_config()


def test_registered_names_are_keras_names():
    from lamina.registry import object_registry

    assert object_registry.builtin_names("initializers") == sorted(FIXTURE["names"])
