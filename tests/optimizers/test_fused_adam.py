"""Adam's fused one-pass CPU update (lamina/optimizers/fused_adam.py) and its multi-tensor
update both match the steps recorded from Keras 3, and each other."""

from unittest import mock

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.layers.weight_memory_order import store_in_memory_order, transposed_order
from lamina.optimizers import fused_adam, schedules
from .test_optimizer_state import forbid_host_sync  # noqa: F401 (a fixture)
from .test_optimizer_steps import CASES, assert_steps_match_keras

ADAM_CASES = sorted(name for name, case in CASES.items()
                    if case["class_name"] in ("Adam", "AdamW"))


@pytest.fixture
def fused_calls(monkeypatch):
    calls = []
    kernel = torch._fused_adam_

    def counting(*args, **kwargs):
        calls.append(1)
        return kernel(*args, **kwargs)

    monkeypatch.setattr(torch, "_fused_adam_", counting)
    return calls


@pytest.mark.parametrize("name", ADAM_CASES)
@pytest.mark.parametrize("path", ["fused", "multi-tensor"])
def test_each_path_matches_keras_at_every_step(name, path, fused_calls, monkeypatch):
    if path == "multi-tensor":
        monkeypatch.setattr(fused_adam, "memory_orders", lambda *args: None)
    assert_steps_match_keras(name, f", {path}")
    accumulating = bool(CASES[name]["kwargs"].get("gradient_accumulation_steps"))
    assert bool(fused_calls) == (path == "fused" and not accumulating)


def _train(steps, fused, amsgrad=False, dtype=torch.float32, transpose_grads=False,
           device="cpu", stored_transposed=False):
    torch.manual_seed(0)
    variables = [torch.nn.Parameter(torch.randn(64, 32, dtype=dtype).to(device)),
                 torch.nn.Parameter(torch.zeros(32, dtype=dtype, device=device))]
    if stored_transposed:  # as an LSTM kernel is stored (layers/weight_memory_order.py)
        store_in_memory_order(variables[0], transposed_order())
        transpose_grads = True  # (autograd gives a gradient the parameter's strides)
    optimizer = optimizers.Adam(learning_rate=0.01, amsgrad=amsgrad)
    optimizer.build(variables)
    generator = torch.Generator().manual_seed(1)
    for _ in range(steps):
        # gradients over six orders of magnitude: where epsilon matters and where it does not
        grads = [(torch.randn(v.shape, generator=generator, dtype=dtype)
                  * 10.0 ** torch.randint(-6, 1, v.shape, generator=generator)).to(device)
                 for v in variables]
        if transpose_grads:  # a non-contiguous gradient: the multi-tensor path takes it
            grads[0] = grads[0].t().contiguous().t()
        if fused:
            optimizer.apply(grads, variables)
        else:
            with mock.patch.object(fused_adam, "memory_orders", lambda *args: None):
                optimizer.apply(grads, variables)
    return [v.detach().clone() for v in variables]


@pytest.fixture(params=["host learning rate", "device learning rate"])
def learning_rate_read(request, monkeypatch):
    """Both ways of handing Keras's step size to the kernel, on the CPU: as a float (the CPU's
    way) and as a 0-d tensor, the learning-rate variable times a host factor (a GPU's way,
    forced here)."""
    if request.param == "device learning rate":
        monkeypatch.setattr(fused_adam, "reads_learning_rate_on_host", lambda device: False)
    return request.param


@pytest.mark.parametrize("name", ADAM_CASES)
def test_device_learning_rate_path_matches_keras(name, fused_calls, monkeypatch):
    monkeypatch.setattr(fused_adam, "reads_learning_rate_on_host", lambda device: False)
    assert_steps_match_keras(name, ", fused with a device learning rate")
    assert bool(fused_calls) != bool(CASES[name]["kwargs"].get("gradient_accumulation_steps"))


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fused_and_multi_tensor_updates_agree(amsgrad, dtype, fused_calls, learning_rate_read):
    fused = _train(50, True, amsgrad, dtype)
    assert fused_calls
    multi = _train(50, False, amsgrad, dtype)
    tolerance = 1e-5 if dtype == torch.float32 else 1e-12
    for a, b in zip(fused, multi):
        torch.testing.assert_close(a, b, rtol=tolerance, atol=tolerance)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fused_cuda_update_agrees_with_multi_tensor_and_cpu(amsgrad, dtype, fused_calls):
    fused = _train(50, True, amsgrad, dtype, device="cuda")
    # (the CUDA kernel takes its tensor learning rate as float32: float64 stays multi-tensor)
    assert bool(fused_calls) == (dtype == torch.float32)
    multi = _train(50, False, amsgrad, dtype, device="cuda")
    on_cpu = _train(50, False, amsgrad, dtype)
    tolerance = 1e-5 if dtype == torch.float32 else 1e-12
    for a, b, c in zip(fused, multi, on_cpu):
        assert a.device.type == "cuda"
        torch.testing.assert_close(a, b, rtol=tolerance, atol=tolerance)
        torch.testing.assert_close(a.cpu(), c, rtol=tolerance, atol=tolerance)


def test_device_learning_rate_path_never_reads_back_to_the_host(fused_calls, monkeypatch,
                                                                forbid_host_sync):
    monkeypatch.setattr(fused_adam, "reads_learning_rate_on_host", lambda device: False)
    for learning_rate in (0.01, schedules.CosineDecay(0.0, 5, warmup_target=0.1,
                                                      warmup_steps=2)):
        variables = [torch.nn.Parameter(torch.ones(3, 2)), torch.nn.Parameter(torch.ones(2))]
        optimizer = optimizers.Adam(learning_rate=learning_rate, amsgrad=True)
        optimizer.build(variables)
        for _ in range(4):
            optimizer.apply([torch.ones_like(v) for v in variables], variables)
    assert len(fused_calls) == 8


def test_non_contiguous_gradients_take_the_multi_tensor_path(fused_calls):
    weights = _train(3, True, transpose_grads=True)
    assert not fused_calls
    for a, b in zip(weights, _train(3, False, transpose_grads=True)):
        assert torch.equal(a, b)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_weights_stored_in_another_memory_order_take_the_fused_path(amsgrad, fused_calls):
    """A kernel stored column by column, with its gradient and slots in the same order: the
    kernel gets the contiguous views of their memory. The update is elementwise, so it equals
    the row-major one to the bit, and the weight keeps its storage order."""
    stored = _train(20, True, amsgrad, stored_transposed=True)
    assert len(fused_calls) == 20
    assert stored[0].stride() == (1, 64)
    for a, b in zip(stored, _train(20, True, amsgrad)):
        assert torch.equal(a, b)
    for a, b in zip(stored, _train(20, False, amsgrad, stored_transposed=True)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype, numpy_dtype", [(torch.float32, np.float32),
                                                (torch.float64, np.float64)])
@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.95, 0.98), (0.5, 0.9999)])
def test_host_step_size_is_the_device_step_size_to_the_last_bit(dtype, numpy_dtype, betas):
    """The fused path computes Keras's step size with NumPy scalars; the multi-tensor path
    with 0-d tensors (Adam._update_group). Their powers agree bit for bit; torch's CPU sqrt
    is not always correctly rounded, so the step sizes may differ in the last bit."""
    optimizer = optimizers.Adam(learning_rate=3e-4, beta_1=betas[0], beta_2=betas[1])
    learning_rate = torch.tensor(3e-4, dtype=dtype)
    ulp = float(torch.finfo(dtype).eps)
    for step in list(range(1, 3001)) + [10_000, 123_457, 1_000_000]:
        t = torch.tensor(float(step), dtype=dtype)
        assert torch.pow(betas[1], t).item() == float(numpy_dtype(betas[1]) ** numpy_dtype(step))
        device = (learning_rate * torch.sqrt(1 - torch.pow(betas[1], t))
                  / (1 - torch.pow(betas[0], t))).item()
        host = float(fused_adam.step_size(optimizer, learning_rate.item(), step, numpy_dtype))
        assert abs(host - device) <= 2 * ulp * abs(device), step


def test_only_float32_weights_take_the_fused_path_on_a_gpu():
    """The CUDA kernel reads a tensor learning rate as float32; other dtypes stay multi-tensor
    there (checked with a stand-in group, so it runs without a GPU)."""
    from types import SimpleNamespace

    optimizer = optimizers.Adam()
    for dtype, expected in ((torch.float32, True), (torch.float64, False),
                            (torch.float16, False), (torch.bfloat16, False)):
        group = SimpleNamespace(device=torch.device("cuda"), dtype=dtype, variables=[])
        assert (fused_adam.memory_orders(optimizer, group, []) is not None) is expected, dtype
    group = SimpleNamespace(device=torch.device("cpu"), dtype=torch.float64, variables=[])
    assert fused_adam.memory_orders(optimizer, group, []) == []
