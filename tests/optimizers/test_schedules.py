"""Learning-rate schedules against values and configs recorded from real Keras 3."""

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import schedules

from . import keras_fixtures

SCHEDULES = keras_fixtures.load("schedules.json")
CONFIGS = keras_fixtures.load("optimizer_configs.json")
IDS = [f"{s['class_name']}-{i}" for i, s in enumerate(SCHEDULES)]


def make(entry):
    return getattr(schedules, entry["class_name"])(**entry["kwargs"])


@pytest.mark.parametrize("entry", SCHEDULES, ids=IDS)
def test_values_match_keras_for_int_steps(entry):
    schedule = make(entry)
    values = [float(schedule(step)) for step in entry["steps"]]
    np.testing.assert_allclose(values, entry["values"], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("entry", SCHEDULES, ids=IDS)
def test_tensor_step_gives_a_float32_scalar_tensor(entry):
    schedule = make(entry)
    for step, expected in zip(entry["steps"], entry["values"]):
        value = schedule(torch.tensor(step, dtype=torch.int64))
        assert isinstance(value, torch.Tensor) and value.shape == ()
        assert value.dtype == torch.float32
        np.testing.assert_allclose(float(value), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("entry", SCHEDULES, ids=IDS)
def test_config_equals_keras_and_round_trips(entry):
    schedule = make(entry)
    assert schedule.get_config() == entry["config"]
    rebuilt = type(schedule).from_config(schedule.get_config())
    assert rebuilt.get_config() == entry["config"]
    restored = schedules.deserialize(schedules.serialize(schedule))
    assert type(restored) is type(schedule)
    assert restored.get_config() == entry["config"]


def test_serialize_matches_keras_object_dict():
    reference = CONFIGS["serialized_schedule"]
    schedule = schedules.deserialize(reference)
    assert isinstance(schedule, schedules.ExponentialDecay)
    assert schedules.serialize(schedule) == reference
    assert reference["module"] == "keras.optimizers.schedules"


def test_optimizer_reads_its_schedule_at_the_current_iteration():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    optimizer = optimizers.SGD(learning_rate=schedule)
    weight = torch.nn.Parameter(torch.zeros(3))
    for _ in range(3):
        optimizer.apply([torch.ones(3)], [weight])
    assert float(optimizer.learning_rate) == pytest.approx(float(schedule(3)))
    # SGD with gradient 1: the weight moved by the sum of the rates at steps 0, 1, 2.
    expected = -sum(float(schedule(step)) for step in range(3))
    torch.testing.assert_close(weight.detach(), torch.full((3,), expected))


def test_a_custom_schedule_subclass_works_in_an_optimizer():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 * 0.5**step

    optimizer = optimizers.SGD(learning_rate=Halving())
    weight = torch.nn.Parameter(torch.zeros(()))
    for _ in range(3):
        optimizer.apply([torch.tensor(1.0)], [weight])
    assert float(weight.detach()) == pytest.approx(-1.75)


def test_base_schedule_explains_what_to_implement():
    with pytest.raises(NotImplementedError, match="must implement `__call__"):
        schedules.LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError, match="get_config"):
        schedules.LearningRateSchedule().get_config()


@pytest.mark.parametrize(
    "make_bad",
    [
        lambda: schedules.ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5),
        lambda: schedules.InverseTimeDecay(0.1, decay_steps=-1, decay_rate=0.5),
        lambda: schedules.PolynomialDecay(0.1, decay_steps=0),
        lambda: schedules.CosineDecay(0.1, decay_steps=0),
    ],
)
def test_non_positive_decay_steps_is_rejected(make_bad):
    with pytest.raises(ValueError, match=r"`decay_steps` must be > 0"):
        make_bad()


def test_restarts_reject_non_positive_first_decay_steps():
    with pytest.raises(ValueError, match=r"`first_decay_steps` must be > 0"):
        schedules.CosineDecayRestarts(0.1, first_decay_steps=0)


def test_piecewise_constant_needs_one_more_value_than_boundaries():
    with pytest.raises(ValueError, match="one more value than boundaries"):
        schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5])


def test_unknown_schedule_name_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown learning rate schedule: 'ExponentialDecy'"):
        schedules.deserialize({"class_name": "ExponentialDecy", "config": {}})
