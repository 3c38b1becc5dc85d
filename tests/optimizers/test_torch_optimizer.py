"""`TorchOptimizer`: a torch.optim optimizer behind the lamina optimizer interface."""

import pytest
import torch

from lamina import optimizers


def twin_parameters():
    torch.manual_seed(0)
    first = [torch.nn.Parameter(torch.randn(3, 2)), torch.nn.Parameter(torch.randn(2))]
    second = [torch.nn.Parameter(p.detach().clone()) for p in first]
    return first, second


def gradients(step):
    return [torch.full((3, 2), 0.5 * (step + 1)), torch.tensor([1.0, -2.0]) / (step + 1)]


def test_steps_are_those_of_the_wrapped_torch_optimizer():
    wrapped_params, plain_params = twin_parameters()
    wrapped = optimizers.get(torch.optim.Adam(wrapped_params, lr=0.01))
    plain = torch.optim.Adam(plain_params, lr=0.01)
    for step in range(4):
        wrapped.apply(gradients(step), wrapped_params)
        for p, g in zip(plain_params, gradients(step)):
            p.grad = g
        plain.step()
    for a, b in zip(wrapped_params, plain_params):
        torch.testing.assert_close(a, b)
    assert int(wrapped.iterations) == 4


def test_learning_rate_reads_and_writes_every_param_group():
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    torch_optimizer = torch.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    wrapped = optimizers.TorchOptimizer(torch_optimizer)
    assert isinstance(wrapped.learning_rate, torch.Tensor)
    assert float(wrapped.learning_rate) == pytest.approx(0.1)
    wrapped.learning_rate = 0.05
    assert [group["lr"] for group in torch_optimizer.param_groups] == [0.05, 0.05]
    wrapped.apply([torch.ones(2), torch.ones(2)], [a, b])
    torch.testing.assert_close(b.detach(), torch.full((2,), -0.05))


def test_a_tensor_learning_rate_in_the_param_groups_is_updated_in_place():
    weight = torch.nn.Parameter(torch.zeros(2))
    torch_optimizer = torch.optim.Adam([weight], lr=torch.tensor(0.01))
    wrapped = optimizers.TorchOptimizer(torch_optimizer)
    wrapped.learning_rate = 0.002
    assert torch_optimizer.param_groups[0]["lr"] is wrapped.learning_rate
    assert float(wrapped.learning_rate) == pytest.approx(0.002)


def test_variables_without_gradient_are_not_stepped():
    a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    # Momentum makes a stale or zero gradient visible: only a missing .grad is skipped.
    wrapped = optimizers.get(torch.optim.SGD([a, b], lr=0.1, momentum=0.9))
    wrapped.apply([torch.ones(2), torch.ones(2)], [a, b])
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        wrapped.apply([torch.ones(2), None], [a, b])
    torch.testing.assert_close(b.detach(), torch.full((2,), 0.9))
    torch.testing.assert_close(a.detach(), torch.full((2,), 0.9 - 0.19))


def test_clipping_is_applied_before_the_torch_step():
    weight = torch.nn.Parameter(torch.zeros(4))
    wrapped = optimizers.TorchOptimizer(torch.optim.SGD([weight], lr=1.0), clipnorm=1.0)
    wrapped.apply([torch.full((4,), 3.0)], [weight])
    torch.testing.assert_close(weight.detach(), torch.full((4,), -0.5))


def test_config_is_readable_but_cannot_rebuild_the_torch_optimizer():
    weight = torch.nn.Parameter(torch.zeros(1))
    wrapped = optimizers.TorchOptimizer(torch.optim.SGD([weight], lr=0.5), name="wrapped")
    config = wrapped.get_config()
    assert config["name"] == "wrapped" and config["learning_rate"] == 0.5
    with pytest.raises(TypeError, match="cannot be rebuilt from a config"):
        optimizers.TorchOptimizer.from_config(config)


def test_options_that_belong_to_the_torch_optimizer_are_refused():
    weight = torch.nn.Parameter(torch.zeros(1))
    with pytest.raises(NotImplementedError, match="does not implement `weight_decay`"):
        optimizers.TorchOptimizer(torch.optim.SGD([weight], lr=0.5), weight_decay=0.1)
    with pytest.raises(TypeError, match="wraps a torch.optim.Optimizer instance"):
        optimizers.TorchOptimizer("sgd")
