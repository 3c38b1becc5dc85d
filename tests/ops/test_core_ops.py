"""Conversion, dtype helpers, control flow and the scatter/slice ops of lamina.ops.core."""

import numpy as np
import pytest
import torch

from lamina import config, ops


def test_convert_to_tensor_returns_tensors_unchanged():
    t = torch.ones(2, dtype=torch.float64)
    assert ops.convert_to_tensor(t) is t
    assert ops.convert_to_tensor(t, dtype="float32").dtype == torch.float32


def test_convert_to_tensor_keeps_the_device_of_a_tensor():
    meta = torch.empty(3, device="meta")
    assert ops.convert_to_tensor(meta, dtype="int32").device.type == "meta"


def test_float64_numpy_becomes_floatx_unless_dtype_given():
    x = np.array([1.5, 2.5])
    assert ops.convert_to_tensor(x).dtype == torch.float32
    assert ops.convert_to_tensor(x, dtype="float64").dtype == torch.float64
    config.set_floatx("float64")
    try:
        assert ops.convert_to_tensor(x).dtype == torch.float64
        assert ops.ones((1,)).dtype == torch.float64
    finally:
        config.set_floatx("float32")


def test_convert_handles_read_only_reversed_and_int64_numpy_arrays():
    read_only = np.broadcast_to(np.arange(3, dtype=np.float32), (2, 3))
    np.testing.assert_array_equal(ops.convert_to_tensor(read_only).numpy(), read_only)
    reversed_view = np.arange(4)[::-1]
    result = ops.convert_to_tensor(reversed_view)
    np.testing.assert_array_equal(result.numpy(), [3, 2, 1, 0])
    assert result.dtype == torch.int64  # NumPy int64 is kept (torch's index type)
    assert ops.convert_to_tensor(np.array([1], np.uint32)).dtype == torch.int64


def test_convert_list_of_tensors_stacks_them():
    result = ops.convert_to_tensor([torch.zeros(2), torch.ones(2)])
    np.testing.assert_array_equal(result.numpy(), [[0, 0], [1, 1]])


def test_convert_rejects_sparse():
    with pytest.raises(ValueError, match="dense"):
        ops.convert_to_tensor([1.0], sparse=True)


def test_convert_to_numpy():
    x = torch.tensor([1.5, 2.0], requires_grad=True)
    result = ops.convert_to_numpy(x * 2)
    assert isinstance(result, np.ndarray) and result.tolist() == [3.0, 4.0]
    assert ops.convert_to_numpy(torch.ones(2, dtype=torch.bfloat16)).dtype == np.float32
    assert ops.convert_to_numpy([1, 2]).tolist() == [1, 2]


def test_numpy_values_are_snapshots_as_in_keras():
    """A weight read before training stays as it was read (Keras's arrays never alias the
    variable): convert_to_numpy, Variable.numpy() and np.asarray(variable) copy."""
    from lamina import layers

    dense = layers.Dense(2)
    dense.build((None, 3))
    read = [ops.convert_to_numpy(dense.kernel), dense.kernel.numpy(), np.asarray(dense.kernel)]
    expected = read[0].copy()
    dense.kernel.assign(np.full((3, 2), 7.0, "float32"))
    for array in read:
        np.testing.assert_array_equal(array, expected)
    tensor = torch.ones(2)
    array = ops.convert_to_numpy(tensor)
    tensor += 1
    assert array.tolist() == [1.0, 1.0]


def test_shape_size_ndim_dtype():
    x = np.zeros((2, 3), np.float32)
    assert ops.shape(x) == (2, 3)
    assert ops.size(x) == 6
    assert ops.ndim(x) == 2
    assert ops.dtype(x) == "float32"
    assert ops.is_tensor(torch.zeros(1)) and not ops.is_tensor(x)


def test_dtype_helpers():
    assert ops.standardize_dtype(torch.int32) == "int32"
    assert ops.standardize_dtype(np.float64) == "float64"
    assert ops.standardize_dtype(None) == "float32"
    # Keras 3.15 (jax and torch backends) gives these, recorded by hand from keras.utils:
    assert ops.standardize_dtype(int) == ops.standardize_dtype("int") == "int32"
    assert ops.standardize_dtype(np.dtype("int64")) == "int64"
    assert ops.standardize_dtype("string") == "string"
    assert ops.is_float_dtype("bfloat16") and not ops.is_float_dtype("int8")
    assert ops.is_int_dtype("uint8") and not ops.is_int_dtype("bool")
    assert ops.result_type("int32", "float16") == "float16"
    assert ops.result_type("int8", "int32") == "int32"


def test_cast_and_stop_gradient():
    x = torch.tensor([1.7, -1.7], requires_grad=True)
    assert ops.cast(x, "int32").tolist() == [1, -1]
    assert not ops.stop_gradient(x * 2).requires_grad


def test_gradients_flow_through_ops():
    x = torch.tensor([[0.5, -1.0], [2.0, 3.0]], requires_grad=True)
    loss = ops.sum(ops.square(ops.matmul(x, x))) + ops.mean(ops.softmax(x)[:, 0])
    loss.backward()
    expected = torch.autograd.grad(
        torch.sum((x @ x) ** 2) + torch.mean(torch.softmax(x, -1)[:, 0]), x
    )[0]
    torch.testing.assert_close(x.grad, expected)


def test_ops_run_on_meta_tensors_without_data():
    # Symbolic tensors are traced on the meta device: the ops must not read values.
    x = torch.empty(4, 3, device="meta")
    y = ops.softmax(ops.matmul(x, ops.transpose(x)) + 1.0)
    assert y.shape == (4, 4) and y.device.type == "meta"
    assert ops.one_hot(ops.argmax(x, axis=-1), 5).shape == (4, 5)
    assert ops.take(x, np.array([0, 2]), axis=1).shape == (4, 2)
    assert ops.concatenate([x, np.zeros((4, 1), np.float32)], axis=1).shape == (4, 4)
    assert ops.where(x > 0, x, 0.0).shape == (4, 3)


def test_cond_switch_and_loops():
    assert ops.cond(True, lambda: 1, lambda: 2) == 1
    assert ops.cond(torch.tensor(False), lambda: 1, lambda: 2) == 2
    assert ops.switch(5, [lambda a: a, lambda a: -a], 3) == -3
    assert ops.fori_loop(0, 4, lambda i, v: v + i, 0) == 6
    assert ops.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (0, 1)) == (3, 8)
    assert ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0, maximum_iterations=4) == 4


def test_slice_and_slice_update():
    x = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(ops.slice(x, (1, 1), (2, 2)).numpy(), x[1:3, 1:3])
    updated = ops.slice_update(x, (0, 2), np.array([[-1, -2]]))
    expected = x.copy()
    expected[0, 2:4] = [-1, -2]
    np.testing.assert_array_equal(updated.numpy(), expected)


def test_scatter_and_scatter_update():
    indices = np.array([[0, 1], [2, 0], [0, 1]])
    result = ops.scatter(indices, np.array([1.0, 2.0, 3.0], np.float32), (3, 2))
    np.testing.assert_array_equal(result.numpy(), [[0, 4], [0, 0], [2, 0]])
    updated = ops.scatter_update(np.zeros((2, 2), np.float32), np.array([[1, 1]]), [5.0])
    np.testing.assert_array_equal(updated.numpy(), [[0, 0], [0, 5]])
    with pytest.raises(ValueError, match="reduction=None or 'add'"):
        ops.scatter_update(np.zeros(2), np.array([[0]]), [1.0], reduction="max")


def test_map_and_vectorized_map():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_array_equal(ops.map(lambda row: row.sum(), x).numpy(), [1, 5, 9])
    result = ops.vectorized_map(lambda row: row * 2, torch.as_tensor(x))
    np.testing.assert_array_equal(result.numpy(), x * 2)
