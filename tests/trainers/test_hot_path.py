"""The shortcuts of the eager hot path (issue 12) keep the behaviour of the paths they skip.

Each test pins what a shortcut could silently lose: torch hooks when `nn.Module.__call__` is
skipped, the NaN/inf check when the data's sum stands in for the element-wise mask, a metric's
value when a view replaces the mean over a size-1 axis, the optimizer's handling of missing or
mixed-dtype gradients.
"""

import warnings

import numpy as np
import pytest
import torch

from lamina import layers, metrics, optimizers
from lamina.models.sequential import Sequential
from lamina.trainers.data_adapters.array_data_adapter import check_finite


def _mlp():
    return Sequential([layers.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(1)])


def test_forward_hooks_of_a_layer_still_run():
    model = _mlp()
    dense = model.layers[0]
    seen = []
    pre = dense.register_forward_pre_hook(lambda module, args: seen.append("pre"))
    post = dense.register_forward_hook(lambda module, args, output: seen.append(output.shape))
    model(torch.ones(2, 4))
    pre.remove()
    post.remove()
    model(torch.ones(2, 4))  # removed: nothing more
    assert seen == ["pre", torch.Size([2, 3])]


def test_a_forward_hook_can_replace_the_output():
    dense = layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    dense(torch.ones(1, 3))
    handle = dense.register_forward_hook(lambda module, args, output: output * 10)
    np.testing.assert_allclose(dense(torch.ones(1, 3)).detach().numpy(), [[30.0, 30.0]])
    handle.remove()
    np.testing.assert_allclose(dense(torch.ones(1, 3)).detach().numpy(), [[3.0, 3.0]])


def test_global_module_hooks_see_lamina_layers():
    model = _mlp()
    model(torch.ones(2, 4))
    names = []
    handle = torch.nn.modules.module.register_module_forward_hook(
        lambda module, args, output: names.append(type(module).__name__))
    try:
        model(torch.ones(2, 4))
    finally:
        handle.remove()
    assert names.count("Dense") == 2 and "Sequential" in names


def test_backward_hooks_of_a_layer_still_run():
    dense = layers.Dense(2)
    dense(torch.ones(1, 3))
    grads = []
    dense.register_full_backward_hook(lambda module, grad_in, grad_out: grads.append(grad_out))
    dense(torch.ones(1, 3, requires_grad=True)).sum().backward()
    assert len(grads) == 1 and grads[0][0].shape == (1, 2)


@pytest.mark.parametrize("bad, row", [(float("nan"), 2), (float("inf"), 1), (-float("inf"), 3)])
def test_non_finite_data_is_still_found(bad, row):
    x = np.zeros((5, 3), "float32")
    x[row, 1] = bad
    with pytest.raises(ValueError, match=f"first at sample {row}"):
        check_finite(torch.from_numpy(x), "x")


def test_finite_data_whose_sum_overflows_is_accepted():
    x = torch.full((4, 2), 3e38)  # each value finite, their float32 sum is inf
    assert not torch.isfinite(x.sum())
    check_finite(x, "x")  # the element-wise check clears it
    check_finite(torch.full((3,), 60000.0, dtype=torch.float16), "x")


def test_binary_accuracy_on_a_single_unit_matches_the_formula():
    rng = np.random.RandomState(0)
    y_true = rng.randint(0, 2, (12, 1)).astype("float32")
    y_pred = rng.rand(12, 1).astype("float32")
    weights = rng.rand(12).astype("float32")
    metric = metrics.BinaryAccuracy()
    metric.update_state(y_true[:7], y_pred[:7])
    metric.update_state(y_true[7:], y_pred[7:])
    hits = (y_true[:, 0] == (y_pred[:, 0] > 0.5)).astype("float32")
    assert float(metric.result()) == pytest.approx(hits.mean(), abs=1e-7)
    weighted = metrics.BinaryAccuracy()
    weighted.update_state(y_true, y_pred, sample_weight=weights)
    assert float(weighted.result()) == pytest.approx((hits * weights).sum() / weights.sum(),
                                                     rel=1e-6)


def test_mean_of_single_values_per_sample_keeps_every_value():
    values = torch.tensor([[1.5], [-2.0], [4.0]])
    mean, total = metrics.Mean(), metrics.Sum()
    mean.update_state(values)
    total.update_state(values)
    assert float(mean.result()) == pytest.approx(3.5 / 3)
    assert float(total.result()) == pytest.approx(3.5)
    assert float(mean.count) == 3.0  # one weight per sample, not per element


def test_optimizer_skips_a_missing_gradient_and_casts_another_dtype():
    a = torch.nn.Parameter(torch.ones(2))
    b = torch.nn.Parameter(torch.ones(2))
    optimizer = optimizers.SGD(learning_rate=0.5)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        optimizer.apply([torch.ones(2), None], [a, b])
    np.testing.assert_allclose(a.detach().numpy(), [0.5, 0.5])  # 1 - 0.5 * 1
    np.testing.assert_allclose(b.detach().numpy(), [1.0, 1.0])  # untouched
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.apply([torch.ones(2, dtype=torch.float64), torch.ones(2)], [a, b])
    np.testing.assert_allclose(a.detach().numpy(), [0.0, 0.0])
    np.testing.assert_allclose(b.detach().numpy(), [0.5, 0.5])
    assert a.dtype == torch.float32 and int(optimizer.iterations) == 2


def test_optimizer_apply_records_no_autograd_graph():
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = optimizers.Adam(learning_rate=0.1)
    optimizer.apply([torch.ones(3)], [weight])
    assert weight.grad_fn is None and weight.requires_grad
    with torch.no_grad():  # also when called inside a no_grad region
        optimizer.apply([torch.ones(3)], [weight])
    assert int(optimizer.iterations) == 2
