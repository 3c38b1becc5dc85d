"""The optimizer's state: learning rate, iterations, variables, saving, and the step pipeline."""

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.optimizers import fused_adam, schedules

ALL_CLASSES = [
    optimizers.SGD, optimizers.RMSprop, optimizers.Adam, optimizers.AdamW, optimizers.Adagrad,
    optimizers.Adadelta, optimizers.Adamax, optimizers.Nadam, optimizers.Lion,
]


def parameters(*shapes, value=1.0):
    return [torch.nn.Parameter(torch.full(shape, value)) for shape in shapes]


def ones_like(variables):
    return [torch.ones_like(v) for v in variables]


# ---------------------------------------------------------------------------- learning rate


def test_learning_rate_reads_as_a_float32_scalar_tensor():
    optimizer = optimizers.Adam(learning_rate=0.003)
    assert isinstance(optimizer.learning_rate, torch.Tensor)
    assert optimizer.learning_rate.shape == () and optimizer.learning_rate.dtype == torch.float32
    assert float(optimizer.learning_rate) == pytest.approx(0.003)


def test_assigning_the_learning_rate_changes_the_next_step():
    [weight] = parameters((2,), value=0.0)
    optimizer = optimizers.SGD(learning_rate=0.1)
    optimizer.apply([torch.ones(2)], [weight])
    lr_variable = optimizer.learning_rate
    optimizer.learning_rate = 0.5
    assert float(optimizer.learning_rate) == pytest.approx(0.5)
    assert optimizer.learning_rate is lr_variable  # assigned in place: saved state sees it
    optimizer.apply([torch.ones(2)], [weight])
    torch.testing.assert_close(weight.detach(), torch.full((2,), -0.6))
    optimizer.learning_rate = torch.tensor(0.25)
    assert float(optimizer.learning_rate) == pytest.approx(0.25)


def test_keras2_lr_alias_reads_and_writes_with_a_deprecation_warning():
    optimizer = optimizers.RMSprop(learning_rate=0.01)
    with pytest.warns(DeprecationWarning, match="optimizer.learning_rate"):
        assert float(optimizer.lr) == pytest.approx(0.01)
    with pytest.warns(DeprecationWarning):
        optimizer.lr = 0.02
    assert float(optimizer.learning_rate) == pytest.approx(0.02)


def test_lr_keyword_is_the_learning_rate_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="`lr` is a Keras 1/2 spelling"):
        optimizer = optimizers.Adam(lr=0.02)
    assert float(optimizer.learning_rate) == pytest.approx(0.02)


def test_deprecation_warnings_point_at_the_users_line():
    with pytest.warns(DeprecationWarning) as record:
        optimizers.AdamW(lr=0.1, decay=0.1)
    assert [warning.filename for warning in record] == [__file__, __file__]


def test_legacy_decay_divides_the_rate_by_one_plus_decay_times_iterations():
    [weight] = parameters((), value=0.0)
    with pytest.warns(DeprecationWarning, match="InverseTimeDecay"):
        optimizer = optimizers.SGD(0.1, decay=0.5)
    for _ in range(3):
        optimizer.apply([torch.tensor(1.0)], [weight])
    assert float(weight.detach()) == pytest.approx(-(0.1 + 0.1 / 1.5 + 0.1 / 2.0))
    assert float(optimizer.learning_rate) == pytest.approx(0.1)  # Keras 2: the undecayed rate


def test_a_schedule_learning_rate_cannot_be_set_to_a_number():
    schedule = schedules.CosineDecay(0.1, 10)
    optimizer = optimizers.Adam(learning_rate=schedule)
    with pytest.raises(TypeError, match="cannot be set to a number"):
        optimizer.learning_rate = 0.01
    assert optimizer.variable_names == [f"{optimizer.name}/iteration"]


def test_a_callable_learning_rate_is_called_each_step():
    rates = iter([0.5, 0.25])
    [weight] = parameters((), value=0.0)
    optimizer = optimizers.SGD(learning_rate=lambda: next(rates))
    optimizer.apply([torch.tensor(1.0)], [weight])
    optimizer.apply([torch.tensor(1.0)], [weight])
    assert float(weight.detach()) == pytest.approx(-0.75)


# ---------------------------------------------------------------------------- iterations


def test_iterations_is_an_int64_tensor_counting_steps():
    variables = parameters((2,))
    optimizer = optimizers.Adam()
    iterations = optimizer.iterations
    assert iterations.dtype == torch.int64 and iterations.shape == ()
    optimizer.build(variables)
    assert optimizer.iterations is iterations  # building keeps the same tensor object
    for _ in range(3):
        optimizer.apply(ones_like(variables), variables)
    assert int(optimizer.iterations) == 3
    assert int(optimizer.apply_gradients(zip(ones_like(variables), variables))) == 4


def test_iterations_is_a_keras_variable_that_assign_resets():
    # Keras programs read and reset the counter through the Variable API (a warm restart);
    # the schedule must then start over: step 0 takes the rate 1.0, later steps 0.0.
    [weight] = parameters((), value=0.0)
    schedule = schedules.PiecewiseConstantDecay(boundaries=[0], values=[1.0, 0.0])
    optimizer = optimizers.SGD(learning_rate=schedule)
    optimizer.build([weight])
    iterations = optimizer.iterations
    assert iterations.path == "sgd/iteration" and not iterations.trainable
    for _ in range(3):
        optimizer.apply([torch.tensor(1.0)], [weight])
    assert float(weight.detach()) == -1.0 and iterations.numpy() == 3
    iterations.assign(0)
    optimizer.apply([torch.tensor(1.0)], [weight])
    assert float(weight.detach()) == -2.0 and int(optimizer.iterations) == 1


def test_gradient_accumulation_counts_real_updates():
    [weight] = parameters((), value=0.0)
    optimizer = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=3)
    for step, grad in enumerate([1.0, 2.0, 6.0, 3.0]):
        optimizer.apply([torch.tensor(grad)], [weight])
    assert float(weight.detach()) == pytest.approx(-3.0)  # mean of the first three gradients
    assert int(optimizer.iterations) == 1 and int(optimizer._iterations) == 4


def test_counter_set_from_outside_is_picked_up():
    [weight] = parameters((), value=0.0)
    optimizer = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    optimizer.build([weight])
    optimizer.variables[0].fill_(1)  # as if loaded from a checkpoint mid-accumulation
    optimizer.apply([torch.tensor(4.0)], [weight])
    assert float(weight.detach()) == pytest.approx(-2.0)


# ---------------------------------------------------------------------------- no host sync


class _HostSyncError(AssertionError):
    pass


@pytest.fixture
def forbid_host_sync(monkeypatch):
    """Make every tensor -> Python conversion raise: on a GPU each would stall the stream."""

    def refuse(*args, **kwargs):
        raise _HostSyncError("a tensor was read back to the host during a step")

    for method in ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__"):
        monkeypatch.setattr(torch.Tensor, method, refuse)


def test_the_host_sync_guard_catches_reads(forbid_host_sync):
    value = torch.ones(())
    for read in (float, int, bool, lambda t: t.item(), lambda t: t.numpy()):
        with pytest.raises(_HostSyncError):
            read(value)


@pytest.mark.parametrize("cls", ALL_CLASSES)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"weight_decay": 0.01, "global_clipnorm": 1.0, "use_ema": True},
        {"clipnorm": 1.0, "gradient_accumulation_steps": 2, "loss_scale_factor": 2.0},
        {"clipvalue": 0.5, "learning_rate": schedules.PiecewiseConstantDecay([2], [0.1, 0.01])},
        {"learning_rate": schedules.CosineDecay(0.0, 5, warmup_target=0.1, warmup_steps=2)},
    ],
    ids=[
        "plain",
        "decay-globalclip-ema",
        "clipnorm-accumulate-scale",
        "clipvalue-piecewise",
        "cosine-warmup",
    ],
)
def test_steps_never_read_tensors_back_to_the_host(cls, options, forbid_host_sync, monkeypatch):
    # Adam's fused update runs only on the CPU, where reading the learning rate is no sync;
    # this test stands in for the device path, which is the multi-tensor one.
    monkeypatch.setattr(fused_adam, "memory_orders", lambda *args: None)
    variables = parameters((3, 2), (2,))
    optimizer = cls(**options)
    optimizer.build(variables)
    for _ in range(4):
        optimizer.apply(ones_like(variables), variables)
    _ = optimizer.learning_rate


# ---------------------------------------------------------------------------- variables


def test_slots_follow_keras_order_and_names():
    kernel, bias = parameters((3, 2), (2,))
    kernel.path, bias.path = "dense/kernel", "dense/bias"
    optimizer = optimizers.Adam(name="adam", amsgrad=True)
    optimizer.build([kernel, bias])
    assert optimizer.variable_names == [
        "adam/iteration", "adam/learning_rate",
        "adam/dense_kernel_momentum", "adam/dense_kernel_velocity",
        "adam/dense_bias_momentum", "adam/dense_bias_velocity",
        "adam/dense_kernel_velocity_hat", "adam/dense_bias_velocity_hat",
    ]
    assert [tuple(v.shape) for v in optimizer.variables[2:4]] == [(3, 2), (3, 2)]


def test_variables_are_keras_variables_over_the_optimizer_state():
    """As in Keras 3 (checked on JAX: `[(type(v), v.path, v.name, v.trainable)]` after a fit),
    optimizer.variables are Variables named and pathed like Keras's, not trainable; assigning
    through them changes the state the next update reads, the step count included."""
    import copy

    import lamina as keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    optimizer = model.optimizer
    variables = optimizer.variables
    assert all(isinstance(v, keras.Variable) and not v.trainable for v in variables)
    assert [v.path for v in variables] == [
        "adam/iteration", "adam/learning_rate", "adam/sequential_dense_kernel_momentum",
        "adam/sequential_dense_kernel_velocity", "adam/sequential_dense_bias_momentum",
        "adam/sequential_dense_bias_velocity"]
    assert [v.name for v in variables][:3] == [
        "iteration", "learning_rate", "sequential_dense_kernel_momentum"]
    assert optimizer.variables[3] is variables[3]  # made once

    variables[0].assign(41)
    variables[3].assign(np.full((2, 1), 4.0))
    assert int(optimizer.iterations) == 41
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0, epochs=1, batch_size=4)
    assert int(optimizer.iterations) == 42
    velocity = variables[3].numpy()  # beta_2 * 4 + (1 - beta_2) * gradient**2
    assert np.all(velocity > 0.999 * 4.0) and np.all(velocity < 4.0 + 1e-3)

    clone = copy.deepcopy(optimizer)
    clone.variables[3].assign(np.zeros((2, 1)))
    np.testing.assert_array_equal(variables[3].numpy(), velocity)  # the original is untouched
    np.testing.assert_array_equal(clone.variables[3].numpy(), 0.0)


def test_sgd_without_momentum_has_only_iteration_and_learning_rate():
    optimizer = optimizers.SGD()
    optimizer.build(parameters((3,)))
    assert len(optimizer.variables) == 2


def test_slots_keep_the_parameter_memory_format():
    [weight] = parameters((2, 3, 4, 4))
    weight.data = weight.data.to(memory_format=torch.channels_last)
    optimizer = optimizers.Adam()
    optimizer.build([weight])
    assert optimizer.variables[2].is_contiguous(memory_format=torch.channels_last)


def test_save_and_load_own_variables_round_trip():
    variables = parameters((3, 2), (2,))
    optimizer = optimizers.Nadam(learning_rate=0.01)
    for _ in range(2):
        optimizer.apply(ones_like(variables), variables)
    store = {}
    optimizer.save_own_variables(store)
    assert sorted(store, key=int) == [str(i) for i in range(len(optimizer.variables))]

    restored = optimizers.Nadam(learning_rate=0.5)
    restored.build(variables)
    restored.load_own_variables(store)
    for a, b in zip(restored.variables, optimizer.variables):
        torch.testing.assert_close(a, b)
    assert int(restored.iterations) == 2


def test_load_with_a_different_number_of_variables_warns_and_skips():
    optimizer = optimizers.Adam()
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        optimizer.load_own_variables({"0": np.array(3)})
    assert int(optimizer.iterations) == 0


def test_set_weights_checks_shapes():
    optimizer = optimizers.Adam()
    with pytest.raises(ValueError, match="not built yet"):
        optimizer.set_weights([])
    optimizer.build(parameters((3,)))
    with pytest.raises(ValueError, match=r"has shape \(3,\); the given weight has shape \(4,\)"):
        optimizer.set_weights([np.array(1), np.array(0.1, "float32"), np.zeros(4), np.zeros(3)])


# ---------------------------------------------------------------------------- step pipeline


def test_gradients_may_be_none_and_those_variables_stay():
    kernel, bias = parameters((2,), (2,))
    optimizer = optimizers.SGD(learning_rate=0.5)
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        optimizer.apply([torch.ones(2), None], [kernel, bias])
    torch.testing.assert_close(kernel.detach(), torch.full((2,), 0.5))
    torch.testing.assert_close(bias.detach(), torch.ones(2))


def test_apply_without_variables_uses_the_built_ones():
    variables = parameters((2,), (3,))
    optimizer = optimizers.SGD(learning_rate=1.0)
    optimizer.build(variables)
    optimizer.apply(ones_like(variables))
    assert float(variables[1].detach()[0]) == 0.0


def test_variables_in_a_different_order_are_matched_by_identity():
    a, b = parameters((2,), (3,))
    optimizer = optimizers.SGD(learning_rate=1.0, momentum=0.5)
    optimizer.build([a, b])
    optimizer.apply([torch.full((3,), 2.0), torch.ones(2)], [b, a])
    torch.testing.assert_close(a.detach(), torch.zeros(2))
    torch.testing.assert_close(b.detach(), torch.full((3,), -1.0))
    torch.testing.assert_close(optimizer.variables[3], torch.full((3,), -2.0))  # b's momentum


def test_exclude_from_weight_decay_by_variable_and_by_name():
    kernel, bias, gamma = parameters((2,), (2,), (2,))
    kernel.path, bias.path, gamma.path = "dense/kernel", "dense/bias", "norm/gamma"
    optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    # As in Keras, patterns match the variable's name ("bias"), not its layer's name.
    optimizer.exclude_from_weight_decay(var_list=[gamma], var_names=["^bias$", "dense"])
    zeros = [torch.zeros(2)] * 3
    optimizer.apply(zeros, [kernel, bias, gamma])
    torch.testing.assert_close(kernel.detach(), torch.full((2,), 0.95))
    torch.testing.assert_close(bias.detach(), torch.ones(2))
    torch.testing.assert_close(gamma.detach(), torch.ones(2))


def test_exclusions_set_after_building_take_effect():
    [weight] = parameters((2,))
    weight.path = "dense/bias"
    optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    optimizer.apply([torch.zeros(2)], [weight])
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    optimizer.apply([torch.zeros(2)], [weight])
    torch.testing.assert_close(weight.detach(), torch.full((2,), 0.95))


def test_constraints_on_parameters_are_applied_after_the_update():
    [weight] = parameters((3,))
    weight.constraint = lambda w: torch.clamp(w, min=0.0)
    optimizers.SGD(learning_rate=2.0).apply([torch.tensor([1.0, 0.2, -1.0])], [weight])
    torch.testing.assert_close(weight.detach(), torch.tensor([0.0, 0.6, 3.0]))


def test_finalize_variable_values_copies_the_moving_average():
    variables = parameters((2,))
    optimizer = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    for _ in range(3):
        optimizer.apply(ones_like(variables), variables)
    # weights after steps 1..3: 0, -1, -2; average: 0 -> 0.5*0 + 0.5*(-1) -> 0.5*(-0.5) + 0.5*(-2)
    optimizer.finalize_variable_values(variables)
    torch.testing.assert_close(variables[0].detach(), torch.full((2,), -1.25))


def test_moving_the_model_after_building_moves_the_state():
    variables = parameters((3,), (2,))
    optimizer = optimizers.Adam()
    optimizer.apply(ones_like(variables), variables)
    for v in variables:  # what model.to(torch.float64) (or to another device) does
        v.data = v.data.double()
    optimizer.apply([torch.ones_like(v) for v in variables], variables)
    assert all(slot.dtype == torch.float64 for slot in optimizer.variables[2:])


def test_keras_style_custom_optimizer_with_update_step():
    class MomentumSGD(optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)

        def build(self, variables):
            super().build(variables)
            self.velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]

        def update_step(self, gradient, variable, learning_rate):
            velocity = self.velocities[self._get_variable_index(variable)]
            self.assign(velocity, 0.9 * velocity - learning_rate * gradient)
            self.assign_add(variable, velocity)

    custom_vars, builtin_vars = parameters((3,), (2,)), parameters((3,), (2,))
    custom, builtin = MomentumSGD(), optimizers.SGD(learning_rate=0.1, momentum=0.9)
    for step in range(3):
        grads = [torch.full((3,), step + 1.0), torch.full((2,), -1.0)]
        custom.apply(grads, custom_vars)
        builtin.apply(grads, builtin_vars)
    for a, b in zip(custom_vars, builtin_vars):
        torch.testing.assert_close(a, b)
    assert custom.variable_names[2] == f"{custom.name}/variable_0_velocity"


def test_update_step_must_be_implemented():
    class Incomplete(optimizers.Optimizer):
        pass

    with pytest.raises(NotImplementedError, match="must implement `update_step"):
        Incomplete(learning_rate=0.1).apply([torch.ones(1)], parameters((1,)))
