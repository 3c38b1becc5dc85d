"""Adafactor, Ftrl, Lamb, Muon, ScheduleFreeAdamW and MultiOptimizer, five steps each, against
real Keras 3 (fixtures/make_more_fixtures.py): the weights after every step and the optimizer's
variables, in Keras's save order, at the end."""

import numpy as np
import pytest
import torch

from lamina import optimizers

from . import keras_fixtures

STEPS = keras_fixtures.load("optimizer_steps_more.json")
PROBLEM = STEPS["problem"]
CASES = STEPS["cases"]
RTOL, ATOL = 1e-6, 1e-7


def make_variables():
    """The problem's variables as Parameters with the Keras variables' paths (their names)."""
    variables = []
    for values, shape, name in zip(PROBLEM["init"], PROBLEM["shapes"], PROBLEM["variable_names"]):
        parameter = torch.nn.Parameter(torch.tensor(values, dtype=torch.float32).reshape(shape))
        parameter.path = name
        variables.append(parameter)
    return variables


def step_gradients(step):
    return [torch.tensor(values, dtype=torch.float32).reshape(shape)
            for values, shape in zip(PROBLEM["grads"][step], PROBLEM["shapes"])]


def make_optimizer(class_name, kwargs):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), dict):
        kwargs["learning_rate"] = optimizers.schedules.deserialize(kwargs["learning_rate"])
    return getattr(optimizers, class_name)(**kwargs)


def run(optimizer, variables):
    """Apply the five gradients; yield the weights after each step."""
    for step in range(len(PROBLEM["grads"])):
        optimizer.apply(step_gradients(step), variables)
        yield [v.detach().numpy().reshape(-1) for v in variables]


def assert_steps_match(name, optimizer, variables, expected_weights):
    for step, (weights, expected) in enumerate(zip(run(optimizer, variables), expected_weights)):
        for actual, reference, path in zip(weights, expected, PROBLEM["variable_names"]):
            np.testing.assert_allclose(actual, reference, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{name}, step {step + 1}, {path}")


def assert_variables_match(optimizer, case):
    names, values = optimizer.variable_names, optimizer.variables
    assert len(values) == len(case["variables"])
    for name, value, path, expected in zip(names, values, case["variable_paths"],
                                           case["variables"]):
        if "/" in path:  # Keras leaves Adafactor's placeholders for 1-D variables unscoped
            assert name == path
        actual = value.detach().double().numpy().reshape(-1)
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=path)
    assert values[0].dtype == torch.int64


@pytest.mark.parametrize("name", sorted(CASES))
def test_weights_match_keras_at_every_step(name):
    case = CASES[name]
    optimizer = make_optimizer(case["class_name"], dict(case["kwargs"], name="opt"))
    assert_steps_match(name, optimizer, make_variables(), case["weights"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_optimizer_variables_match_keras_in_save_order(name):
    case = CASES[name]
    optimizer = make_optimizer(case["class_name"], dict(case["kwargs"], name="opt"))
    for _ in run(optimizer, make_variables()):
        pass
    assert_variables_match(optimizer, case)


def make_multi_optimizer(spec):
    class_name, kwargs = spec["default"]
    mapping = optimizers.OptimizerMap(make_optimizer(class_name, kwargs))
    for key, (class_name, kwargs) in spec["map"].items():
        mapping[key] = make_optimizer(class_name, kwargs)
    return optimizers.MultiOptimizer(mapping, name="opt")


def test_multi_optimizer_routes_variables_as_keras_does():
    case = STEPS["multi_optimizer"]
    optimizer = make_multi_optimizer(case["spec"])
    assert_steps_match("multi_optimizer", optimizer, make_variables(), case["weights"])
    assert_variables_match(optimizer, case)
    assert int(optimizer.iterations) == 5
    assert [int(inner.iterations) for inner in optimizer.optimizers] == [5, 5, 5]


def test_schedule_free_averaged_weights_recover_x_from_y_and_z():
    """y = (1 - beta_1) * z + beta_1 * x, with y the weights and z the Keras "momentum" slot."""
    case = CASES["schedule_free_adamw_warmup"]
    optimizer = make_optimizer("ScheduleFreeAdamW", case["kwargs"])
    variables = make_variables()
    for _ in run(optimizer, variables):
        pass
    beta_1 = case["kwargs"]["beta_1"]
    slots = dict(zip(case["variable_paths"], case["variables"]))
    for x, y, path in zip(optimizer.averaged_weights(), case["weights"][-1],
                          PROBLEM["variable_names"]):
        z = np.asarray(slots[f"opt/{path}_momentum"])
        expected = (np.asarray(y) - (1 - beta_1) * z) / beta_1
        np.testing.assert_allclose(x.numpy().reshape(-1), expected, rtol=1e-5, atol=1e-6)


def test_muon_newton_schulz_gives_an_approximately_orthogonal_matrix():
    torch.manual_seed(0)
    for shape in [(8, 3), (3, 8)]:
        x = torch.randn(shape)
        orthogonal = optimizers.Muon().zeropower_via_newtonschulz5(x, steps=5)
        small = min(shape)
        gram = orthogonal.T @ orthogonal if shape[0] > shape[1] else orthogonal @ orthogonal.T
        singular_values = torch.linalg.svdvals(gram)
        assert gram.shape == (small, small)
        # The quintic iteration is tuned for speed, not convergence: values near 1, not 1.
        assert torch.all(singular_values > 0.4) and torch.all(singular_values < 1.5)
