import numpy as np
import pytest
import torch

import lamina
from lamina import layers


def test_dense_matches_formula_and_keras_defaults():
    dense = layers.Dense(4, activation="tanh")
    x = np.random.RandomState(0).randn(5, 3).astype("float32")
    out = dense(x).detach().numpy()
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(out, np.tanh(x @ kernel + bias), rtol=1e-6, atol=1e-6)
    limit = np.sqrt(6 / (3 + 4))  # glorot_uniform, Keras's default (not PyTorch's kaiming)
    assert np.abs(kernel).max() <= limit and np.all(bias == 0)
    assert dense(lamina.Input(shape=(7, 3))).shape == (None, 7, 4)


def test_dense_gradients_reach_every_weight():
    dense = layers.Dense(2, kernel_regularizer="l2")
    dense(torch.randn(4, 3)).sum().backward()
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in dense.weights)


@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_2d_and_nd_inputs_give_the_same_numbers(use_bias):
    """2-D inputs take one GEMM (addmm / mm on the stored (in, out) kernel), other ranks
    F.linear; values and gradients agree to the bit, row by row."""
    torch.manual_seed(0)
    dense = layers.Dense(5, use_bias=use_bias, bias_initializer="random_normal")
    x = torch.randn(6, 4, requires_grad=True)
    flat = dense(x)
    flat_grads = torch.autograd.grad(flat.square().sum(), [x, *dense.trainable_weights])
    x3 = x.detach().reshape(2, 3, 4).requires_grad_()
    nd = dense(x3)
    nd_grads = torch.autograd.grad(nd.square().sum(), [x3, *dense.trainable_weights])
    assert torch.equal(nd.reshape(6, 5), flat)
    assert torch.equal(nd_grads[0].reshape(6, 4), flat_grads[0])
    for a, b in zip(nd_grads[1:], flat_grads[1:]):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)  # (summed in another order)
    expected = x.detach() @ dense.kernel.detach() + (dense.bias.detach() if use_bias else 0)
    torch.testing.assert_close(flat.detach(), expected)


def test_dense_rejects_bad_units():
    with pytest.raises(ValueError, match="positive integer.*units=-1"):
        layers.Dense(-1)


def test_dense_keras1_keywords_warn_and_map():
    with pytest.warns(DeprecationWarning) as record:
        dense = layers.Dense(output_dim=3, init="zeros", W_regularizer="l2")
    assert {"output_dim", "init", "W_regularizer"} <= {
        word.strip("`") for w in record for word in str(w.message).split() if word.startswith("`")}
    assert dense.units == 3 and type(dense.kernel_initializer).__name__ == "Zeros"
    assert type(dense.kernel_regularizer).__name__ == "L2"


def test_legacy_module_path_warns():
    with pytest.warns(DeprecationWarning, match="lamina.layers.Dense"):
        from lamina.layers.core import Dense
    assert Dense is layers.Dense


@pytest.mark.parametrize("layer, config_keys", [
    (layers.Dense(3, activation="relu", use_bias=False), {"units", "activation", "use_bias"}),
    (layers.Dropout(0.3, seed=2), {"rate", "seed", "noise_shape"}),
    (layers.Activation("softmax"), {"activation"}),
    (layers.Flatten(), {"data_format"}),
    (layers.Reshape((2, 3)), {"target_shape"}),
    (layers.Embedding(10, 4, mask_zero=True), {"input_dim", "output_dim", "mask_zero"}),
])
def test_config_round_trip(layer, config_keys):
    config = layer.get_config()
    assert config_keys <= set(config)
    clone = type(layer).from_config(config)
    config.pop("name"), clone.get_config().pop("name")
    assert {k: v for k, v in clone.get_config().items() if k != "name"} == config


def test_dropout_scales_kept_units_in_training_only():
    x = torch.ones(10000)
    dropout = layers.Dropout(0.25)
    assert torch.equal(dropout(x), x)
    out = dropout(x, training=True)
    assert out.unique().tolist() == [0.0, pytest.approx(1 / 0.75)]
    assert abs(float((out == 0).float().mean()) - 0.25) < 0.03
    with pytest.raises(ValueError, match="between 0 and 1"):
        layers.Dropout(1.5)


def test_flatten_and_reshape():
    x = torch.arange(24.0).reshape(2, 3, 4)
    assert layers.Flatten()(x).shape == (2, 12)
    assert layers.Reshape((4, -1))(x).shape == (2, 4, 3)
    assert layers.Reshape((-1,))(lamina.Input(shape=(3, 4))).shape == (None, 12)
    with pytest.raises(ValueError, match="cannot reshape"):
        layers.Reshape((5, 5))(x)
    channels_first = layers.Flatten(data_format="channels_first")(x.reshape(2, 2, 3, 2))
    np.testing.assert_array_equal(channels_first[0].numpy(),
                                  x.reshape(2, 2, 3, 2).permute(0, 2, 3, 1)[0].reshape(-1).numpy())


def test_embedding_lookup_mask_and_legacy_input_length():
    embedding = layers.Embedding(10, 3, mask_zero=True)
    ids = torch.tensor([[1, 2, 0]])
    out = embedding(ids)
    np.testing.assert_array_equal(out[0, 1].detach().numpy(), embedding.get_weights()[0][2])
    assert out._keras_mask.tolist() == [[True, True, False]]
    assert np.abs(embedding.get_weights()[0]).max() <= 0.05  # Keras "uniform": U(-0.05, 0.05)
    with pytest.warns(DeprecationWarning, match="input_length"):
        model = lamina.Sequential([layers.Embedding(10, 3, input_length=5)])
    assert model.output_shape == (None, 5, 3)


def test_lambda_layer_shapes_and_safe_mode():
    layer = layers.Lambda(lambda t: t[:, :2] * 2)
    assert layer(lamina.Input(shape=(5,))).shape == (None, 2)
    np.testing.assert_array_equal(layer(torch.ones(1, 5)).numpy(), [[2.0, 2.0]])
    config = layer.get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config)
    restored = layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_array_equal(restored(torch.ones(1, 5)).numpy(), [[2.0, 2.0]])


def test_lambda_with_registered_function_round_trips_safely():
    @lamina.saving.register_keras_serializable(package="tests")
    def double(t):
        return t * 2

    config = layers.Lambda(double).get_config()
    # as Keras 3.15 writes a named function (read by name, in safe mode)
    assert config["function"] == {"module": "builtins", "class_name": "function",
                                  "config": "tests>double", "registered_name": "function"}
    assert layers.Lambda.from_config(config).function is double
    assert layers.Lambda.from_config({**config, "function": "tests>double"}).function is double


def test_lambda_with_a_plain_named_function_loads_from_custom_objects(tmp_path):
    # keras.io's siamese example: Lambda(euclidean_distance), unregistered; Keras saves it by
    # name and takes it from custom_objects (lamina stored bytecode and lost its globals).
    from lamina import ops

    def euclidean_distance(vects):
        x, y = vects
        return ops.sqrt(ops.sum(ops.square(x - y), axis=1, keepdims=True))

    a, b = lamina.Input((3,)), lamina.Input((3,))
    model = lamina.Model([a, b], layers.Lambda(euclidean_distance, output_shape=(1,))([a, b]))
    model.save(tmp_path / "m.keras")
    again = lamina.models.load_model(tmp_path / "m.keras",
                                     custom_objects={"euclidean_distance": euclidean_distance})
    out = again.predict([np.ones((1, 3)), np.zeros((1, 3))], verbose=0)
    np.testing.assert_allclose(out, [[3 ** 0.5]], rtol=1e-6)


def test_a_saved_python_lambda_may_use_keras_programs_usual_names():
    # (`keras` and `K` are not names of this module: the loader provides them, as they are
    # in the Keras programs that save such lambdas)
    layer = layers.Lambda(lambda t: keras.ops.square(t) + K.epsilon() * 0)  # noqa: F821
    config = layer.get_config()
    with lamina.saving.custom_object_scope({}):
        rebuilt = layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_allclose(rebuilt(np.full((1, 2), 3.0, "float32")), [[9.0, 9.0]])


def test_input_misspelt_keyword_and_legacy_batch_input_shape():
    with pytest.raises(TypeError, match="Did you mean 'shape'"):
        lamina.Input(shpae=(3,))
    with pytest.warns(DeprecationWarning, match="batch_shape"):
        x = lamina.Input(batch_input_shape=(None, 3))
    assert x.shape == (None, 3)
    with pytest.warns(DeprecationWarning, match="batch_input_shape"):
        model = lamina.Sequential([layers.Dense(2, batch_input_shape=(None, 5))])
    assert model.input_shape == (None, 5)


def test_keras2_initial_weights_argument():
    with pytest.warns(DeprecationWarning, match="weights="):
        dense = layers.Dense(2, weights=[np.ones((3, 2)), np.full(2, 0.5)])
    np.testing.assert_allclose(dense(np.ones((1, 3))).detach().numpy(), [[3.5, 3.5]])
