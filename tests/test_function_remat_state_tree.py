import numpy as np
import pytest
import torch

import lamina as keras


def test_function_replays_the_graph():
    a = keras.KerasTensor(shape=(None, 2, 3))
    b = keras.KerasTensor(shape=(None, 2, 3))
    fn = keras.Function(inputs=[a, b], outputs=keras.ops.sigmoid(a + b))
    x1, x2 = np.random.random((4, 2, 3)), np.random.random((4, 2, 3))
    out = fn([x1, x2])
    assert out.dtype == torch.float32  # numpy float64 follows the input's declared dtype
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-(x1 + x2))), rtol=1e-5)
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2)
    fn = keras.Function(inputs, {"x": dense(inputs), "y": keras.ops.relu(inputs)})
    result = fn(np.ones((5, 3), "float32"))
    assert result["x"].shape == (5, 2) and result["y"].shape == (5, 3)
    assert fn.operations[0] is dense
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Function([a], keras.ops.sigmoid(a + b))


def test_remat_gives_the_same_gradients():
    layer = torch.nn.Linear(3, 3)
    x = torch.randn(2, 3, requires_grad=True)
    keras.remat(layer)(x).tanh().sum().backward()
    expected = x.grad.clone()
    x.grad = None
    layer(x).tanh().sum().backward()
    torch.testing.assert_close(x.grad, expected)
    with pytest.raises(TypeError, match="expects a function or a layer"):
        keras.remat(3)


_Model = keras.Sequential  # every Model has get_state_tree / set_state_tree


def test_state_tree_round_trip():
    model = _Model([keras.Input(shape=(1,)), keras.layers.Dense(1, name="my_dense")],
                   name="my_sequential")
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(np.array([[1.0]]), np.array([[1.0]]), verbose=0)
    tree = model.get_state_tree("numpy_array")
    assert sorted(tree) == ["metrics_variables", "non_trainable_variables",
                            "optimizer_variables", "trainable_variables"]
    kernel = tree["trainable_variables"]["my_sequential"]["my_dense"]["kernel"]
    assert isinstance(kernel, np.ndarray) and kernel.shape == (1, 1)
    assert "my_sequential_my_dense_kernel_momentum" in tree["optimizer_variables"]["adam"]
    assert set(tree["metrics_variables"]["loss"]) == {"total", "count"}
    kernel[:] = 5.0
    model.set_state_tree({"trainable_variables": tree["trainable_variables"]})
    assert model.layers[0].kernel.item() == 5.0
    assert isinstance(model.get_state_tree()["trainable_variables"]["my_sequential"]["my_dense"][
        "bias"], torch.Tensor)
    with pytest.raises(ValueError, match="Invalid `value_format` argument"):
        model.get_state_tree("jax")
    with pytest.raises(ValueError, match="Unknown variable name: weights"):
        model.set_state_tree({"weights": {}})
