"""Binary crossentropy on probabilities runs torch's kernel after Keras's clipping, as Keras's
torch backend does, and the written-out formula under autocast (where the kernel refuses)."""

import numpy as np
import torch

import lamina
from lamina.losses.crossentropy import elementwise_binary_crossentropy

EPS = 1e-7


def _clip(output):  # in float32, as the loss does (1 - 1e-7 rounds to 1 - 2**-23)
    return np.clip(output, np.float32(EPS), np.float32(1 - EPS)).astype("float64")


def _reference(target, output):  # Keras's formula, in float64 after the float32 clip
    clipped = _clip(output)
    return -(target * np.log(clipped) + (1 - target) * np.log(1 - clipped))


def test_values_and_gradients_follow_the_clipped_formula():
    rng = np.random.RandomState(0)
    output = np.concatenate([rng.rand(40), [0.0, 1.0, EPS, 1 - EPS, 1e-9, 1e-3, 0.999]])
    output = output.astype("float32")
    target = rng.rand(output.size).astype("float32")  # soft labels
    p = torch.tensor(output, requires_grad=True)
    t = torch.tensor(target, requires_grad=True)
    loss = elementwise_binary_crossentropy(t, p)
    assert loss.grad_fn.name() == "BinaryCrossEntropyBackward0"  # one node
    np.testing.assert_allclose(loss.detach().numpy(), _reference(target, output), rtol=2e-6)
    loss.sum().backward()
    clipped = _clip(output)
    inside = (output >= np.float32(EPS)) & (output <= np.float32(1 - EPS))
    expected = np.where(inside, (clipped - target) / (clipped * (1 - clipped)), 0.0)
    np.testing.assert_allclose(p.grad.numpy(), expected, rtol=2e-5)
    assert p.grad[40] == 0 and p.grad[41] == 0  # 0 and 1 lie outside the clip: no gradient
    np.testing.assert_allclose(t.grad.numpy(), np.log(1 - clipped) - np.log(clipped), rtol=1e-5)


def test_second_derivatives():
    output = (torch.rand(5, 3, dtype=torch.float64) * 0.9 + 0.05).requires_grad_()
    target = torch.rand(5, 3, dtype=torch.float64)
    assert torch.autograd.gradgradcheck(lambda p: elementwise_binary_crossentropy(target, p),
                                        (output,))


def test_under_autocast_the_written_out_formula_runs():
    output = torch.rand(4, 2, requires_grad=True)
    target = torch.randint(0, 2, (4, 2)).float()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = lamina.losses.binary_crossentropy(target, output)
    loss.sum().backward()
    np.testing.assert_allclose(loss.detach().numpy(),
                               _reference(target.numpy(), output.detach().numpy()).mean(-1),
                               rtol=1e-5)
    assert output.grad is not None
