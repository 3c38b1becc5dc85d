"""LossScaleOptimizer against Keras 3 (fixtures/make_more_fixtures.py): steps with inf or NaN
gradients are skipped and halve the scale, `dynamic_growth_steps` finite steps double it; and the
wrapper inside `fit`."""

import math

import numpy as np
import pytest
import torch

from lamina import layers
from lamina import models
from lamina import optimizers

from . import keras_fixtures

STEPS = keras_fixtures.load("loss_scale_steps.json")
PROBLEM = STEPS["problem"]
NON_FINITE = {int(step): float(value) for step, value in PROBLEM["non_finite"].items()}


def make_variables():
    variables = []
    for values, shape, name in zip(PROBLEM["init"], PROBLEM["shapes"], PROBLEM["variable_names"]):
        parameter = torch.nn.Parameter(torch.tensor(values, dtype=torch.float32).reshape(shape))
        parameter.path = name
        variables.append(parameter)
    return variables


def scaled_gradients(step, scale):
    """What a loss scaled by `scale` gives: the problem's gradients times the scale, with an inf
    or NaN planted where the fixture put one."""
    grads = [torch.tensor(values, dtype=torch.float32).reshape(shape) * scale
             for values, shape in zip(PROBLEM["grads"][step % len(PROBLEM["grads"])],
                                      PROBLEM["shapes"])]
    if step in NON_FINITE:
        grads[0].view(-1)[1] = NON_FINITE[step]
    return grads


@pytest.mark.parametrize("name", sorted(STEPS["cases"]))
def test_scale_and_weights_follow_keras_through_skipped_steps(name):
    case = STEPS["cases"][name]
    class_name, inner_kwargs = case["inner"]
    optimizer = optimizers.LossScaleOptimizer(
        getattr(optimizers, class_name)(**inner_kwargs), name="opt", **case["kwargs"])
    variables = make_variables()
    optimizer.build(variables)
    for step in range(len(case["scale"])):
        scale = float(optimizer.dynamic_scale)
        assert scale == (case["scale"][step - 1] if step else case["kwargs"]["initial_scale"])
        before = [v.detach().clone() for v in variables]
        optimizer.apply(scaled_gradients(step, scale), variables)
        where = f"{name}, step {step + 1}"
        assert float(optimizer.dynamic_scale) == case["scale"][step], where
        assert int(optimizer.step_counter) == case["step_counter"][step], where
        assert int(optimizer.iterations) == case["iterations"][step], where
        for variable, expected, old in zip(variables, case["weights"][step], before):
            if step in NON_FINITE:  # skipped: not even touched
                assert torch.equal(variable.detach(), old), where
            np.testing.assert_allclose(variable.detach().numpy().reshape(-1), expected,
                                       rtol=1e-6, atol=1e-7, err_msg=where)
    assert optimizer.variable_names == case["variable_paths"]
    for value, expected, path in zip(optimizer.variables, case["variables"],
                                     case["variable_paths"]):
        np.testing.assert_allclose(value.detach().double().numpy().reshape(-1), expected,
                                   rtol=1e-6, atol=1e-7, err_msg=path)


def test_halving_and_growth_by_hand():
    """The rule itself, on one variable: inf halves, `dynamic_growth_steps` finite steps double."""
    variable = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(learning_rate=0.5),
                                              initial_scale=16.0, dynamic_growth_steps=3)
    scales, weights = [], []
    for grad in [[16.0, 16.0], [math.inf, 0.0], [8.0, 8.0], [8.0, 8.0], [8.0, 8.0], [16.0, 0.0]]:
        optimizer.apply([torch.tensor(grad)], [variable])
        scales.append(float(optimizer.dynamic_scale))
        weights.append(variable.detach().tolist())
    assert scales == [16.0, 8.0, 8.0, 8.0, 16.0, 16.0]
    # Each finite step moves the weights by 0.5 * 1.0 (the gradient divided by the scale).
    assert weights == [[0.5, 1.5], [0.5, 1.5], [0.0, 1.0], [-0.5, 0.5], [-1.0, 0.0], [-1.5, 0.0]]
    assert int(optimizer.iterations) == 5


def test_scale_loss_uses_the_current_scale_and_gradients_stay_untouched():
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(), initial_scale=4.0)
    assert float(optimizer.scale_loss(torch.tensor(2.0))) == 8.0  # before build: initial_scale
    variable = torch.nn.Parameter(torch.zeros(2))
    grad = torch.tensor([math.nan, 1.0])
    optimizer.apply([grad], [variable])
    assert float(optimizer.scale_loss(torch.tensor(2.0))) == 4.0
    assert torch.isnan(grad[0]) and grad[1] == 1.0  # the caller's gradient is not modified


def test_gradients_of_several_dtypes_are_unscaled_and_checked_together():
    variables = [torch.nn.Parameter(torch.ones(3, dtype=torch.float64)),
                 torch.nn.Parameter(torch.ones(2)),
                 torch.nn.Parameter(torch.ones(2, dtype=torch.float16))]
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(learning_rate=1.0),
                                              initial_scale=2.0**15)
    optimizer.apply([torch.full((3,), 2.0**15, dtype=torch.float64), torch.full((2,), 2.0**14),
                     torch.full((2,), 2.0**13, dtype=torch.float16)], variables)
    assert [v.detach().tolist() for v in variables] == [[0.0] * 3, [0.5] * 2, [0.75] * 2]
    # An inf in the float64 gradient alone skips the whole step.
    optimizer.apply([torch.full((3,), math.inf, dtype=torch.float64), torch.ones(2), None],
                    variables)
    assert [v.detach().tolist() for v in variables] == [[0.0] * 3, [0.5] * 2, [0.75] * 2]
    assert float(optimizer.dynamic_scale) == 2.0**14 and int(optimizer.iterations) == 1


def test_learning_rate_is_the_inner_optimizers():
    inner = optimizers.Adam(learning_rate=0.01)
    optimizer = optimizers.LossScaleOptimizer(inner)
    optimizer.learning_rate = 0.5
    assert float(inner.learning_rate) == 0.5 and float(optimizer.learning_rate) == 0.5


def _regression_data():
    generator = np.random.default_rng(0)
    x = generator.normal(size=(32, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")).astype("float32")
    return x, y


def _model():
    torch.manual_seed(0)
    return models.Sequential([layers.Input((3,)), layers.Dense(1)])


def test_fit_with_a_loss_scale_optimizer_trains_like_its_inner_optimizer():
    """With float32 nothing overflows, so the scaled run must give the plain run's weights:
    this needs `fit` to multiply the loss by `optimizer.scale_loss` (as Keras's trainer does)."""
    x, y = _regression_data()
    results = []
    for wrap in (False, True):
        model = _model()
        inner = optimizers.SGD(learning_rate=0.1)
        model.compile(optimizer=optimizers.LossScaleOptimizer(inner) if wrap else inner,
                      loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        results.append([w.detach().clone() for w in model.trainable_weights])
    for plain, scaled in zip(*results):
        torch.testing.assert_close(scaled, plain, rtol=1e-5, atol=1e-6)
