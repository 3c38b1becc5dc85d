"""Convolution and LSTM/SimpleRNN kernels: Keras's shape, torch's memory order
(lamina/layers/weight_memory_order.py). The values, outputs, gradients, files and optimizer
slots are those of Keras's row-major layout; only the strides differ, and no training step
copies a kernel or its gradient to change layout."""

import collections
import copy

import h5py
import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import lamina
from lamina import layers

CL, CF = "channels_last", "channels_first"

# (layer factory, input shape without the batch, the kernel attributes, their torch views)
CASES = {
    "conv1d": (lambda f: layers.Conv1D(4, 3, data_format=f), (9, 3)),
    "conv2d": (lambda f: layers.Conv2D(4, 3, data_format=f), (7, 7, 3)),
    "conv3d": (lambda f: layers.Conv3D(4, 2, data_format=f), (5, 5, 5, 3)),
    "conv2d_groups": (lambda f: layers.Conv2D(4, 3, groups=2, data_format=f), (7, 7, 4)),
    "conv2d_transpose": (lambda f: layers.Conv2DTranspose(4, 3, strides=2, data_format=f),
                         (5, 5, 3)),
    "depthwise_conv2d": (lambda f: layers.DepthwiseConv2D(3, depth_multiplier=2,
                                                          data_format=f), (7, 7, 3)),
    "separable_conv2d": (lambda f: layers.SeparableConv2D(4, 3, depth_multiplier=2,
                                                          data_format=f), (7, 7, 3)),
    "lstm": (lambda f: layers.LSTM(5), (6, 3)),
    "simple_rnn": (lambda f: layers.SimpleRNN(5), (6, 3)),
}
FORMATS = {name: ([CL] if name in ("lstm", "simple_rnn") else [CL, CF]) for name in CASES}
PARAMS = [(name, f) for name in CASES for f in FORMATS[name]]


def _model(name, data_format, seed=0):
    factory, shape = CASES[name]
    if data_format == CF:
        shape = (shape[-1],) + shape[:-1]
    lamina.utils.set_random_seed(seed)
    model = lamina.Sequential([layers.Input(shape), factory(data_format), layers.Flatten(),
                               layers.Dense(1)])
    return model, shape


def _row_major_twin(model):
    """The same model with every weight stored row-major (Keras's own layout)."""
    twin = copy.deepcopy(model)
    for variable in twin.weights:
        variable.data = variable.data.contiguous()
    return twin


def _kernels(model):
    return [v for v in model.weights if v.ndim >= 2 and "dense" not in v.path]


@pytest.mark.parametrize("name, data_format", PARAMS)
def test_kernels_are_stored_in_torch_order_with_keras_values(name, data_format):
    model, _ = _model(name, data_format)
    kernels = _kernels(model)
    # Not Keras's row-major order (where at least two axes are longer than 1 it shows).
    assert kernels and not any(k.is_contiguous() for k in kernels
                               if sum(n > 1 for n in k.shape) >= 2)
    values = [np.random.default_rng(i).normal(size=w.shape).astype("float32")
              for i, w in enumerate(model.get_weights())]
    strides = [k.stride() for k in kernels]
    model.set_weights(values)
    assert [k.stride() for k in kernels] == strides  # assigning keeps the storage order
    for got, expected in zip(model.get_weights(), values):
        np.testing.assert_array_equal(got, expected)
        assert got.shape == expected.shape


@pytest.mark.parametrize("name, data_format", PARAMS)
def test_outputs_and_gradients_equal_those_of_the_row_major_layout(name, data_format):
    model, shape = _model(name, data_format)
    twin = _row_major_twin(model)
    x = torch.randn(4, *shape)
    results = []
    for m in (model, twin):
        out = m(x)
        grads = torch.autograd.grad(out.square().sum(), [v for v in m.trainable_weights])
        results.append((out, grads))
    torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    for a, b in zip(results[0][1], results[1][1]):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


class _CountOps(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.ops = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops[func.overloadpacket.__name__] += 1
        return func(*args, **(kwargs or {}))


def _layout_copies_in_backward(model, shape):
    x = torch.randn(8, *shape)
    loss = model(x).square().mean()
    with _CountOps() as counter:
        loss.backward()
    return counter.ops["copy_"] + counter.ops["new_empty_strided"]


@pytest.mark.parametrize("name, data_format", [("conv2d", CL), ("conv2d", CF), ("conv1d", CL),
                                               ("conv3d", CL), ("lstm", CL),
                                               ("simple_rnn", CL)])
def test_no_gradient_is_copied_to_match_the_kernel_layout(name, data_format):
    model, shape = _model(name, data_format)
    assert _layout_copies_in_backward(model, shape) == 0
    if name != "simple_rnn":  # (torch's CPU rnn_tanh is made of matmuls: no copy either way)
        # What the memory order saves: Keras's row-major layout pays a copy per kernel.
        assert _layout_copies_in_backward(_row_major_twin(model), shape) > 0


@pytest.mark.parametrize("name, data_format", [("conv2d", CL), ("lstm", CL)])
def test_training_copies_and_files_keep_values_and_storage_order(name, data_format, tmp_path):
    model, shape = _model(name, data_format)
    strides = [k.stride() for k in _kernels(model)]
    x = np.random.default_rng(0).normal(size=(16, *shape)).astype("float32")
    y = np.random.default_rng(1).normal(size=(16, 1)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert [k.stride() for k in _kernels(model)] == strides
    slots = [v for v in model.optimizer.variables if v.ndim >= 2 and v.shape == _kernels(
        model)[0].shape]
    assert slots and all(s.stride() == strides[0] for s in slots)  # zeros_like kept it
    expected = model.predict(x, verbose=0)

    model.save(tmp_path / "model.keras")
    loaded = lamina.models.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    assert [k.stride() for k in _kernels(loaded)] == strides
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)

    twin = _row_major_twin(model)  # a row-major model saves the same file contents
    model.save_weights(tmp_path / "a.weights.h5")
    twin.save_weights(tmp_path / "b.weights.h5")

    def arrays(path):
        found = {}
        with h5py.File(path, "r") as f:
            f.visititems(lambda key, item: found.__setitem__(key, item[()])
                         if isinstance(item, h5py.Dataset) else None)
        return found

    a, b = arrays(tmp_path / "a.weights.h5"), arrays(tmp_path / "b.weights.h5")
    assert a.keys() == b.keys() and a
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])

    copied = copy.deepcopy(model)
    assert [k.stride() for k in _kernels(copied)] == strides
    state = model.state_dict()
    fresh, _ = _model(name, data_format, seed=5)
    fresh.load_state_dict(state)
    assert [k.stride() for k in _kernels(fresh)] == strides
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), expected)
