import numpy as np
import pytest
import torch

import lamina
from lamina import layers


class SimpleDense(layers.Layer):
    """The custom layer of the Keras "core API" tutorial, unchanged."""

    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return lamina.ops.matmul(inputs, self.w) + self.b


def test_custom_layer_weights_appear_on_first_call_with_inferred_shapes():
    layer = SimpleDense(4)
    assert not layer.built and layer.weights == []
    x = torch.randn(3, 5)
    y = layer(x)
    assert layer.built
    assert [tuple(w.shape) for w in layer.weights] == [(5, 4), (4,)]
    assert len(layer.trainable_weights) == 2 and layer.non_trainable_weights == []
    np.testing.assert_allclose(y.detach().numpy(), x.numpy() @ layer.w.numpy() + layer.b.numpy(),
                               rtol=1e-6)
    # random_normal: stddev 0.05 (Keras default), zeros for the bias.
    assert 0.005 < float(layer.w.detach().std()) < 0.1
    assert float(layer.b.detach().abs().sum()) == 0


def test_custom_layer_is_a_torch_module_with_named_parameters():
    layer = SimpleDense(2)
    layer(torch.ones(1, 3))
    assert isinstance(layer, torch.nn.Module)
    assert [name for name, _ in layer.named_parameters()] == ["w", "b"]
    assert set(layer.state_dict()) == {"w", "b"}
    assert layer.w.path == f"{layer.name}/{layer.w.name}"


def test_unnamed_weights_are_named_like_keras_and_keyed_per_layer():
    # Keras 3.15: variable, variable_1 in the first layer, variable_2, variable_3 in the next.
    lamina.backend.clear_session()

    class Two(lamina.layers.Layer):
        def build(self, input_shape):
            self.add_weight(shape=(2,))
            self.add_weight(shape=(2,))

    first, second = Two(), Two()
    first.build((2,))
    second.build((2,))
    assert [w.name for w in first.weights + second.weights] == [
        "variable", "variable_1", "variable_2", "variable_3"]
    assert [w.path for w in second.weights] == ["two_1/variable_2", "two_1/variable_3"]
    assert list(first.state_dict()) == list(second.state_dict()) == ["variable_0", "variable_1"]


def test_custom_layer_on_symbolic_input_builds_and_infers_shape():
    x = lamina.Input(shape=(7,))
    y = SimpleDense(3)(x)
    assert y.shape == (None, 3)


def test_default_names_are_unique_snake_case():
    names = [layers.Dense(1).name, layers.Dense(1).name, layers.Dropout(0.1).name,
             SimpleDense(1).name]
    assert names == ["dense", "dense_1", "dropout", "simple_dense"]


def test_add_weight_accepts_keras2_argument_order():
    class Legacy(layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[-1], 2))

        def call(self, x):
            return x @ self.kernel

    layer = Legacy()
    layer(torch.ones(1, 3))
    assert layer.kernel.name == "kernel" and tuple(layer.kernel.shape) == (3, 2)


def test_trainable_flag_freezes_weights():
    dense = layers.Dense(3)
    dense(torch.ones(1, 2))
    dense.trainable = False
    assert dense.trainable_weights == [] and len(dense.non_trainable_weights) == 2
    assert not any(w.requires_grad for w in dense.weights)
    dense.trainable = True
    assert len(dense.trainable_weights) == 2 and all(w.requires_grad for w in dense.weights)


def test_set_weights_checks_count_and_shapes():
    dense = layers.Dense(3)
    dense(torch.ones(1, 2))
    with pytest.raises(ValueError, match="expects 2 weight arrays"):
        dense.set_weights([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"has shape \(2, 3\).*\(3, 2\)"):
        dense.set_weights([np.zeros((3, 2)), np.zeros(3)])


def test_unknown_keyword_suggests_the_right_one():
    with pytest.raises(TypeError, match="Did you mean 'activation'"):
        layers.Dense(3, activaton="relu")


def test_training_argument_defaults_to_inference_and_propagates():
    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dropout = layers.Dropout(0.5)

        def call(self, x):
            return self.dropout(x)

    block = Block()
    x = torch.ones(1000)
    assert torch.equal(block(x), x)  # Keras: inference unless told otherwise
    out = block(x, training=True)  # reaches the nested Dropout through the call context
    assert set(out.unique().tolist()) == {0.0, 2.0}
    block.train()  # plain PyTorch code can still switch to training mode
    assert set(block(x).unique().tolist()) == {0.0, 2.0}


def test_activity_regularizer_adds_a_loss_per_call():
    dense = layers.Dense(2, kernel_initializer="ones", activity_regularizer="l2")
    out = dense(torch.ones(4, 3))
    expected = 0.01 * float((out.detach() ** 2).sum()) / 4  # Keras divides by the batch size
    assert len(dense.losses) == 1
    assert float(dense.losses[0].detach()) == pytest.approx(expected, rel=1e-6)


def test_weight_regularizer_penalty_is_in_losses():
    dense = layers.Dense(2, kernel_initializer="ones", kernel_regularizer=lamina.regularizers.L1(0.1))
    dense(torch.ones(1, 3))
    assert float(sum(dense.losses).detach()) == pytest.approx(0.1 * 6)


def test_layer_without_call_says_what_to_do():
    with pytest.raises(NotImplementedError, match="def call"):
        layers.Layer()(torch.ones(1, 2))


def test_compute_output_shape_without_data():
    assert layers.Dense(5).compute_output_shape((None, 3)) == (None, 5)
    assert layers.Flatten().compute_output_shape((None, 2, 3)) == (None, 6)

    class Doubler(layers.Layer):
        def call(self, x):
            return lamina.ops.concatenate([x, x], axis=-1)

    assert Doubler().compute_output_shape((None, 4)) == (None, 8)


def test_numpy_input_is_converted_to_floatx():
    out = layers.Dense(2)(np.ones((3, 4), dtype="float64"))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
