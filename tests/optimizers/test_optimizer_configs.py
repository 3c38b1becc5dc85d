"""Optimizer configs against Keras 3, serialization round trips, and `optimizers.get`."""

import pytest
import torch

from lamina import optimizers

from . import keras_fixtures

CONFIGS = keras_fixtures.load("optimizer_configs.json")
DEFAULTS = CONFIGS["defaults"]
VARIANTS = CONFIGS["variants"]


def with_schedule(kwargs):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), dict):
        kwargs["learning_rate"] = optimizers.schedules.deserialize(kwargs["learning_rate"])
    return kwargs


@pytest.mark.parametrize("class_name", sorted(DEFAULTS))
def test_default_config_equals_keras(class_name):
    optimizer = getattr(optimizers, class_name)(name="opt")
    assert optimizer.get_config() == DEFAULTS[class_name]


@pytest.mark.parametrize("key", sorted(VARIANTS))
def test_non_default_config_equals_keras(key):
    variant = VARIANTS[key]
    cls = getattr(optimizers, variant["class_name"])
    optimizer = cls(name="opt", **with_schedule(variant["kwargs"]))
    assert optimizer.get_config() == variant["config"]


@pytest.mark.parametrize(
    "class_name, config",
    [(name, config) for name, config in DEFAULTS.items()]
    + [(v["class_name"], v["config"]) for v in VARIANTS.values()],
)
def test_from_config_round_trips(class_name, config):
    cls = getattr(optimizers, class_name)
    rebuilt = cls.from_config(config)
    assert type(rebuilt) is cls
    assert rebuilt.get_config() == config


def test_serialize_matches_keras_and_deserializes():
    reference = CONFIGS["serialized_adam"]
    assert optimizers.serialize(optimizers.Adam(name="opt")) == reference
    restored = optimizers.deserialize(reference)
    assert isinstance(restored, optimizers.Adam)
    assert restored.get_config() == reference["config"]


def test_deserialize_accepts_lowercase_class_names_as_keras_does():
    restored = optimizers.deserialize({"class_name": "rmsprop", "config": {"rho": 0.8}})
    assert isinstance(restored, optimizers.RMSprop) and restored.rho == 0.8


def test_default_names_are_keras_snake_case():
    assert optimizers.RMSprop().name.startswith("rm_sprop")
    assert optimizers.AdamW().name.startswith("adam_w")
    first, second = optimizers.Lion(), optimizers.Lion()
    assert first.name != second.name


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("adam", optimizers.Adam), ("ADAM", optimizers.Adam), ("sgd", optimizers.SGD),
        ("SGD", optimizers.SGD), ("rmsprop", optimizers.RMSprop), ("RMSprop", optimizers.RMSprop),
        ("adamw", optimizers.AdamW), ("AdamW", optimizers.AdamW), ("adagrad", optimizers.Adagrad),
        ("adadelta", optimizers.Adadelta), ("adamax", optimizers.Adamax),
        ("nadam", optimizers.Nadam), ("lion", optimizers.Lion),
    ],
)
def test_get_by_name(identifier, cls):
    optimizer = optimizers.get(identifier)
    assert type(optimizer) is cls
    assert optimizer.get_config()["learning_rate"] == pytest.approx(
        0.01 if cls is optimizers.SGD else 0.001
    )


def test_get_passes_instances_through_and_builds_from_dicts_and_classes():
    adam = optimizers.Adam()
    assert optimizers.get(adam) is adam
    assert optimizers.get(None) is None
    assert isinstance(optimizers.get(optimizers.Nadam), optimizers.Nadam)
    sgd = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5, "momentum": 0.5}})
    assert isinstance(sgd, optimizers.SGD) and sgd.momentum == 0.5


def test_get_wraps_a_torch_optimizer():
    parameter = torch.nn.Parameter(torch.zeros(2))
    wrapped = optimizers.get(torch.optim.SGD([parameter], lr=0.1))
    assert isinstance(wrapped, optimizers.TorchOptimizer)
    assert isinstance(wrapped, optimizers.Optimizer)


def test_get_unknown_name_lists_the_valid_names():
    message = r"Unknown optimizer: 'adamm'\. Did you mean 'adam'\? Valid names: "
    with pytest.raises(ValueError, match=message) as info:
        optimizers.get("adamm")
    valid = ("adadelta, adafactor, adagrad, adam, adamax, adamw, ftrl, lamb, lion, muon, nadam, "
             "rmsprop, schedulefreeadamw, sgd")
    assert str(info.value).endswith(valid + ".")


def test_get_rejects_other_objects():
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: 3"):
        optimizers.get(3)


def test_legacy_decay_is_kept_in_the_config():
    with pytest.warns(DeprecationWarning, match="decay"):
        optimizer = optimizers.SGD(learning_rate=0.1, decay=1e-4)
    config = optimizer.get_config()
    assert config["decay"] == 1e-4
    with pytest.warns(DeprecationWarning):
        assert optimizers.SGD.from_config(config).decay == 1e-4
