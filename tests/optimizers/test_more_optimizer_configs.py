"""Configs of the optimizers added with make_more_fixtures.py against Keras 3, serialization
round trips (the wrappers included), names for `compile`, and the errors users can hit."""

import pytest
import torch

from lamina import mixed_precision
from lamina import optimizers
from lamina import utils

from . import keras_fixtures

CONFIGS = keras_fixtures.load("optimizer_configs_more.json")
DEFAULTS = CONFIGS["defaults"]
VARIANTS = CONFIGS["variants"]


def with_schedule(kwargs):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), dict):
        kwargs["learning_rate"] = optimizers.schedules.deserialize(kwargs["learning_rate"])
    return kwargs


@pytest.mark.parametrize("class_name", sorted(DEFAULTS))
def test_default_config_equals_keras(class_name):
    assert getattr(optimizers, class_name)(name="opt").get_config() == DEFAULTS[class_name]


@pytest.mark.parametrize("key", sorted(VARIANTS))
def test_non_default_config_equals_keras(key):
    variant = VARIANTS[key]
    cls = getattr(optimizers, variant["class_name"])
    assert cls(name="opt", **with_schedule(variant["kwargs"])).get_config() == variant["config"]


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


@pytest.mark.parametrize("key", ["serialized_loss_scale_optimizer",
                                 "serialized_loss_scale_optimizer_defaults",
                                 "serialized_multi_optimizer"])
def test_wrappers_deserialize_from_keras_and_serialize_back_identically(key):
    reference = CONFIGS[key]
    restored = optimizers.deserialize(reference)
    assert type(restored).__name__ == reference["class_name"]
    assert optimizers.serialize(restored) == reference


def test_deserialized_wrappers_hold_working_inner_optimizers():
    loss_scale = optimizers.deserialize(CONFIGS["serialized_loss_scale_optimizer"])
    assert isinstance(loss_scale.inner_optimizer, optimizers.SGD)
    assert loss_scale.inner_optimizer.nesterov and loss_scale.initial_scale == 64.0
    multi = optimizers.deserialize(CONFIGS["serialized_multi_optimizer"])
    assert [type(o).__name__ for o in multi.optimizers] == ["Adam", "Lamb", "SGD"]


def test_multi_optimizer_with_a_registered_function_round_trips():
    @utils.register_keras_serializable("more_configs_test")
    def pick(variable):
        return pick.adam if variable.ndim == 2 else pick.sgd

    pick.adam, pick.sgd = optimizers.Adam(), optimizers.SGD()
    optimizer = optimizers.MultiOptimizer(pick, name="opt")
    config = optimizer.get_config()
    assert config["optimizer_map"] == {"module": "builtins", "class_name": "function",
                                       "config": "more_configs_test>pick",
                                       "registered_name": "function"}  # Keras 3's form
    assert optimizers.MultiOptimizer.from_config(config)._optimizer_map is pick


@pytest.mark.parametrize("identifier, class_name", [
    ("adafactor", "Adafactor"), ("Adafactor", "Adafactor"), ("ftrl", "Ftrl"), ("lamb", "Lamb"),
    ("muon", "Muon"), ("MUON", "Muon"), ("schedulefreeadamw", "ScheduleFreeAdamW"),
])
def test_get_by_name(identifier, class_name):
    assert type(optimizers.get(identifier)) is getattr(optimizers, class_name)


def test_deserialize_accepts_lowercase_wrapper_class_names_as_keras_does():
    config = dict(CONFIGS["serialized_loss_scale_optimizer"], class_name="lossscaleoptimizer")
    assert isinstance(optimizers.deserialize(config), optimizers.LossScaleOptimizer)


def test_wrappers_cannot_be_made_from_a_name():
    with pytest.raises(ValueError, match=r"pass an instance.*LossScaleOptimizer\("):
        optimizers.get("lossscaleoptimizer")


def test_loss_scale_optimizer_is_also_in_mixed_precision():
    assert mixed_precision.LossScaleOptimizer is optimizers.LossScaleOptimizer
    assert "LossScaleOptimizer" in dir(mixed_precision)


# --------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate_power": 0.5}, r"learning_rate_power` must be negative or zero.*=0.5"),
    ({"initial_accumulator_value": -1.0}, r"initial_accumulator_value` must be positive or zero"),
    ({"l1_regularization_strength": -0.1}, r"l1_regularization_strength=-0.1"),
    ({"l2_shrinkage_regularization_strength": -2}, r"l2_shrinkage_regularization_strength=-2"),
])
def test_ftrl_rejects_negative_strengths(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizers.Ftrl(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"dynamic": False}, r"dynamic=False.*loss_scale_factor"),
    ({"clipnorm": 1.0}, r"does not support `clipnorm`.*inner optimizer"),
    ({"learning_rate": 0.1}, r"does not support the arguments \['learning_rate'\]"),
])
def test_loss_scale_optimizer_refuses_base_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizers.LossScaleOptimizer(optimizers.SGD(), **kwargs)


def test_loss_scale_optimizer_accepts_base_defaults_found_in_old_configs():
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=None, use_ema=False)
    assert optimizer.get_config()["dynamic_growth_steps"] == 2000


def test_loss_scale_optimizer_needs_an_optimizer_instance():
    with pytest.raises(TypeError, match=r"wraps a lamina optimizer instance.*'adam'"):
        optimizers.LossScaleOptimizer("adam")


def test_loss_scale_optimizer_turns_off_the_inner_loss_scale_factor():
    inner = optimizers.SGD(loss_scale_factor=100.0)
    optimizers.LossScaleOptimizer(inner)
    assert inner.loss_scale_factor is None


def test_multi_optimizer_has_no_learning_rate():
    optimizer = optimizers.MultiOptimizer(optimizers.OptimizerMap(optimizers.SGD()))
    with pytest.raises(AttributeError, match="no single learning rate.*optimizers"):
        optimizer.learning_rate
    with pytest.raises(AttributeError, match="set it on the inner optimizers"):
        optimizer.learning_rate = 0.1
    assert not hasattr(optimizer, "learning_rate")


def test_optimizer_map_lookups_and_errors():
    default, adam, sgd = optimizers.RMSprop(), optimizers.Adam(), optimizers.SGD()
    mapping = optimizers.OptimizerMap(default)
    mapping["encoder/layer_0/dense"] = adam
    mapping["encoder/.*"] = sgd
    assert mapping["encoder/layer_0/dense"] is adam  # the exact key wins over the pattern
    assert mapping["encoder/layer_0/attention"] is sgd
    assert mapping["encoder"] is default  # patterns must match the whole path
    assert len(mapping) == 2 and list(mapping) == ["encoder/layer_0/dense", "encoder/.*"]
    with pytest.raises(ValueError, match="already in the OptimizerMap"):
        mapping["encoder/.*"] = adam
    mapping[".*/attention"] = adam
    with pytest.raises(ValueError, match="matches the patterns"):
        mapping["encoder/layer_0/attention"]
    with pytest.raises(ValueError, match="cannot be used inside a MultiOptimizer"):
        mapping["x"] = optimizers.LossScaleOptimizer(optimizers.SGD())
    with pytest.raises(TypeError, match="default_optimizer` must be an optimizer"):
        optimizers.OptimizerMap("sgd")


def test_multi_optimizer_refuses_nested_wrappers_when_routing():
    inner = optimizers.MultiOptimizer(optimizers.OptimizerMap(optimizers.SGD()))
    optimizer = optimizers.MultiOptimizer(lambda variable: inner)
    parameter = torch.nn.Parameter(torch.ones(2))
    with pytest.raises(ValueError, match="MultiOptimizer cannot be used inside"):
        optimizer.build([parameter])


def test_multi_optimizer_sets_its_loss_scale_factor_on_every_inner_optimizer():
    adam, sgd = optimizers.Adam(loss_scale_factor=3.0), optimizers.SGD()
    optimizer = optimizers.MultiOptimizer(optimizers.OptimizerMap(sgd, {"a": adam}),
                                          loss_scale_factor=4.0)
    assert adam.loss_scale_factor == 4.0 and sgd.loss_scale_factor == 4.0
    optimizers.LossScaleOptimizer(optimizer)
    assert optimizer.loss_scale_factor is None and adam.loss_scale_factor is None


# --------------------------------------------------------------------------------- files


def _wrapper(name):
    if name == "loss_scale_optimizer":
        return optimizers.LossScaleOptimizer(optimizers.Adam())
    return optimizers.MultiOptimizer(optimizers.OptimizerMap(
        optimizers.SGD(momentum=0.9), {"(.*/)?head/.*": optimizers.Adam()}))


@pytest.mark.parametrize("name", sorted(CONFIGS["weights_file_layouts"]))
def test_saved_file_holds_the_wrapper_variables_where_keras_puts_them(name, tmp_path):
    """Keras writes the inner optimizers a second time, in groups of their own; lamina must too,
    or Keras warns about (and skips) those groups when it loads lamina's files."""
    import io
    import zipfile

    import h5py

    from lamina import layers
    from lamina import models
    from lamina import saving

    model = models.Sequential([layers.Input((4,)), layers.Dense(3, name="hidden"),
                               layers.Dense(2, name="head")])
    model.compile(optimizer=_wrapper(name), loss="mse")
    model.optimizer.build(model.trainable_weights)
    with torch.no_grad():  # some state to find again after loading
        for i, variable in enumerate(model.optimizer.variables):
            variable.fill_(i + 1)
    model.save(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        data = archive.read("model.weights.h5")
    entries = []
    with h5py.File(io.BytesIO(data), "r") as f:
        f["optimizer"].visititems(lambda key, item: entries.append(
            [key, list(item.shape)]) if isinstance(item, h5py.Dataset) else None)
    assert sorted(entries) == CONFIGS["weights_file_layouts"][name]
    restored = saving.load_model(tmp_path / "model.keras")
    assert type(restored.optimizer) is type(model.optimizer)
    for saved, loaded in zip(model.optimizer.variables, restored.optimizer.variables):
        assert torch.equal(saved.cpu(), loaded.cpu())
