"""Keras's Adam step through torch's fused CPU kernel: one pass over each weight tensor.

lamina's multi-tensor Adam makes seven passes over the weights and the two slots per step
(lerp, mul, addcmul, sqrt, add, div, addcdiv); `torch._fused_adam_` makes one.

The kernel computes torch's formula: it corrects the bias itself, in float64, from the step
count, and adds epsilon to the corrected `sqrt(v / c2**2)` where Keras adds it to the
uncorrected `sqrt(v)` (with `c1 = 1 - beta_1**t`, `c2 = sqrt(1 - beta_2**t)`). Given
`lr = step_size * c1 / c2` and `eps = epsilon / c2`, where `step_size` is Keras's
`learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)` in the weights' precision, its update
is Keras's `step_size * m / (sqrt(v) + epsilon)`: the kernel's own corrections cancel. The
step size is computed on the host with NumPy scalars of the weights' dtype, from the
optimizer's host mirror of its step counter: the operations the multi-tensor path runs on
0-d tensors, in the same precision (the powers agree bit for bit; torch's CPU square root
may differ from NumPy's in the last bit), and without a tensor op per scalar. What remains
is the rounding of a one-pass update: tests/optimizers compare both paths with the updates
recorded from Keras at the same tolerance, and with each other.

On a GPU reading the learning rate back to the host would stall the stream, so there the
learning-rate tensor is multiplied on the device by the rest of the factor, computed on the
host from the step count (one kernel instead of the multi-tensor path's seven 0-d ops), and
handed to the kernel as a tensor (its `tensor_lr` form, which the CUDA kernel reads as float32:
float64 weights on a GPU keep the multi-tensor update). That product may differ from Keras's
`(lr * sqrt(c2)) / c1` in the last bit; the tests hold this path to the Keras fixtures too.
Compiled steps keep the multi-tensor update, which the compiler fuses itself.

The kernel walks each tensor's memory in order, so it takes contiguous tensors. A weight kept in
Keras's shape but stored in torch's order (a convolution or LSTM kernel, see
layers/weight_memory_order.py) is handed to it as the contiguous view of its memory, and so are
its gradient and slots, which share its strides: the update is elementwise, so the order in
which the elements are visited does not change it.
"""

import math

import numpy
import torch

_HOST_DTYPES = {torch.float32: numpy.float32, torch.float64: numpy.float64}


def memory_orders(optimizer, group, grads):
    """None when the fused kernel cannot take this group's update as it stands; else, per
    variable, the axis order its memory is laid out in (None for a contiguous one), which
    `update` takes so that the strides are read once a step."""
    if (group.device.type not in ("cpu", "cuda") or group.dtype not in _HOST_DTYPES
            or optimizer.gradient_accumulation_steps or torch.compiler.is_compiling()):
        return None
    if group.device.type == "cuda" and group.dtype != torch.float32:
        return None  # the CUDA kernel reads a tensor learning rate as float32 only
    dtype = group.dtype
    if not all(g.dtype == dtype and g.layout == torch.strided for g in grads):
        return None
    orders = [_memory_order(v) for v in group.variables]
    if any(order is False for order in orders):
        return None
    slots = None
    for index, order in enumerate(orders):
        if order is None:
            if not grads[index].is_contiguous():
                return None
            continue
        slots = slots if slots is not None else _slots(optimizer, group)
        if not all(t.permute(order).is_contiguous() for t in
                   (grads[index], *(s[index] for s in slots))):
            return None
    return orders


def _memory_order(tensor):
    """None for a contiguous `tensor`; else the axis order its memory is laid out in when that
    is dense (a weight stored in torch's order); False when it is not."""
    if tensor.is_contiguous():
        return None
    order = sorted(range(tensor.ndim), key=lambda axis: -tensor.stride(axis))
    return order if tensor.permute(order).is_contiguous() else False


def _slots(optimizer, group):
    slots = [group.take(optimizer._momentums), group.take(optimizer._velocities)]
    if optimizer.amsgrad:
        slots.append(group.take(optimizer._velocity_hats))
    return slots


def _in_memory_order(tensors, orders):
    return [t if order is None else t.permute(order) for t, order in zip(tensors, orders)]


def step_size(optimizer, learning_rate, step, dtype):
    """Keras's `learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)` in `dtype` (NumPy)."""
    one, t = dtype(1), dtype(step)
    correction_1 = one - dtype(optimizer.beta_1) ** t
    correction_2 = one - dtype(optimizer.beta_2) ** t
    return dtype(learning_rate) * numpy.sqrt(correction_2) / correction_1


def reads_learning_rate_on_host(device):
    """The CPU reads the learning rate as a float (no stall there); other devices do not."""
    return device.type == "cpu"


def update(optimizer, group, grads, learning_rate, orders):
    """One Adam (or AMSGrad) step of `group`, in place, at the 0-d tensor `learning_rate`;
    `orders` is what `memory_orders` returned for this step."""
    step = optimizer._host_iterations() + 1  # (no accumulation here: memory_orders checked)
    c1 = 1.0 - optimizer.beta_1 ** step
    c2 = math.sqrt(1.0 - optimizer.beta_2 ** step)
    if reads_learning_rate_on_host(group.device):
        size = step_size(optimizer, learning_rate.item(), step, _HOST_DTYPES[group.dtype])
        lr = float(size) * (c1 / c2)
    else:  # one multiplication on the device (each op there is a kernel launch)
        factor = step_size(optimizer, 1.0, step, _HOST_DTYPES[group.dtype]) * (c1 / c2)
        lr = learning_rate * float(factor)
    steps = [torch.full((), float(step), dtype=torch.float32, device=group.device)] * len(grads)
    tensors = [group.variables, grads, *_slots(optimizer, group)]
    if any(order is not None for order in orders):
        tensors = [_in_memory_order(each, orders) for each in tensors]
    variables, grads, momentums, velocities, *maxima = tensors
    torch._fused_adam_(
        variables, grads, momentums, velocities, maxima[0] if maxima else [], steps,
        lr=lr, beta1=optimizer.beta_1, beta2=optimizer.beta_2,
        weight_decay=0.0, eps=optimizer.epsilon / c2, amsgrad=optimizer.amsgrad,
        maximize=False)
