"""The state around a call has one owner (issue 9): training mode is `module.training` unless a
call says otherwise, the call context is per thread, losses belong to the outermost call, and
data reaches the layers in the dtype they compute in."""

import threading

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import layers


# ------------------------------------------------------------ integer inputs, .to(dtype)
@pytest.mark.parametrize("kind", ["sequential", "functional", "sequential without Input"])
@pytest.mark.parametrize("dtype", ["int64", "uint8", "int32"])
def test_integer_data_is_cast_to_the_inputs_float_dtype(kind, dtype):
    keras.utils.set_random_seed(0)
    if kind == "functional":
        inputs = keras.Input((3,))
        model = keras.Model(inputs, layers.Dense(1)(inputs))
    elif kind == "sequential":
        model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    else:
        model = keras.Sequential([layers.Dense(1)])
    x = np.array([[1, 2, 3], [4, 5, 6]], dtype=dtype)
    model.compile(keras.optimizers.SGD(learning_rate=0.0), "mse")
    model.fit(x, np.zeros((2, 1)), verbose=0)  # raw integer pixels / features train as is
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               model.predict(x.astype("float32"), verbose=0))


def test_integer_ids_stay_integers_for_an_embedding_first_layer():
    model = keras.Sequential([layers.Embedding(10, 2)])
    ids = np.array([[1, 9]])
    np.testing.assert_allclose(model(ids).detach().numpy()[0],
                               model.layers[0].embeddings.detach().numpy()[[1, 9]])


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_to_float64_makes_the_whole_model_compute_in_float64(kind):
    keras.utils.set_random_seed(0)
    if kind == "functional":
        inputs = keras.Input((3,))
        model = keras.Model(inputs, layers.Dense(1)(layers.Dense(4, activation="tanh")(inputs)))
    else:
        model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="tanh"),
                                  layers.Dropout(0.5), layers.Dense(1)])
    model.to(torch.float64)
    dense = [layer for layer in model.layers if isinstance(layer, layers.Dense)]
    assert dense[0].dtype == "float64" and dense[0].kernel.dtype == torch.float64
    x = np.random.RandomState(0).rand(5, 3)  # float64 data keeps its precision end to end
    w1, b1, w2, b2 = [w.detach().numpy() for w in model.weights]
    expected = np.tanh(x @ w1 + b1) @ w2 + b2
    output = model(x)
    assert output.dtype == torch.float64
    np.testing.assert_allclose(output.detach().numpy(), expected, rtol=1e-12)
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((5, 1)), verbose=0)
    assert model.predict(x, verbose=0).dtype == np.float64
    model.half()
    assert model(torch.ones(2, 3)).dtype == torch.float16 and dense[0].compute_dtype == "float16"
    model.float()
    assert model(torch.ones(2, 3)).dtype == torch.float32


# ------------------------------------------------------------ training mode
class TorchInside(layers.Layer):
    """A lamina layer built from plain torch modules (their mode is module.training)."""

    def __init__(self):
        super().__init__()
        self.dropout = torch.nn.Dropout(0.5)
        self.norm = torch.nn.BatchNorm1d(4)

    def call(self, x):
        return self.norm(self.dropout(x))


def _torch_inside_model():
    model = keras.Sequential([keras.Input((4,)), TorchInside()])
    model.compile("sgd", "mse")
    return model


def test_torch_modules_inside_a_model_are_in_eval_mode_outside_fit():
    model = _torch_inside_model()
    norm = model.layers[0].norm
    assert not norm.training and not model.layers[0].dropout.training
    x = np.random.RandomState(0).rand(8, 4).astype("float32")
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, model.predict(x, verbose=0))  # deterministic
    assert torch.equal(norm.running_mean, torch.zeros(4))  # statistics untouched by predict
    np.testing.assert_array_equal(model(x).detach().numpy(), first)


def test_fit_trains_torch_modules_and_restores_the_previous_mode():
    model = _torch_inside_model()
    norm = model.layers[0].norm
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(norm.training)

        def on_test_batch_begin(self, batch, logs=None):
            seen.append(norm.training)

    x = np.random.RandomState(0).rand(8, 4).astype("float32") + 3.0
    model.fit(x, x, batch_size=8, validation_data=(x, x), callbacks=[Spy()], verbose=0)
    assert seen == [True, False]  # training during fit, eval during its validation
    assert not norm.training and not model.training  # restored
    assert float(norm.running_mean.mean()) > 0.2  # BatchNorm1d learned statistics in fit
    model.train()  # a torch user's own mode is restored too
    model.evaluate(x, x, verbose=0)
    assert norm.training and model.layers[0].training


def test_an_explicit_training_argument_overrides_the_module_mode():
    model = keras.Sequential([keras.Input((100,)), layers.Dropout(0.5)])
    x = np.ones((2, 100), "float32")
    assert (model(x, training=True).detach().numpy() == 0).any()
    model.train()
    assert (model(x).detach().numpy() == 0).any()  # module.training decides without the argument
    np.testing.assert_array_equal(model(x, training=False).detach().numpy(), x)


def test_training_false_recorded_in_a_functional_graph_holds_during_fit():
    """The transfer-learning guide's recipe: `base(x, training=False)` keeps the base's
    BatchNormalization in inference mode even after `base.trainable = True`, when fit calls the
    outer model with training=True. (Keras 3 lets fit's training=True override the recorded
    value, keras-team/keras#20285; lamina keeps the guide's documented behaviour, which tf.keras
    had: docs/differences.md.)"""
    base = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.BatchNormalization()])
    norm = base.layers[1]
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dense(1)(base(inputs, training=False)))
    base.trainable = True
    model.compile("sgd", "mse")
    x = np.random.RandomState(0).rand(16, 4).astype("float32") + 2.0
    gamma_before = norm.gamma.numpy()
    model.fit(x, x[:, :1], batch_size=8, epochs=2, verbose=0)
    np.testing.assert_array_equal(norm.moving_mean.numpy(), np.zeros(3, "float32"))
    np.testing.assert_array_equal(norm.moving_variance.numpy(), np.ones(3, "float32"))
    assert not np.array_equal(norm.gamma.numpy(), gamma_before)  # gamma still trains


def test_a_threads_call_context_is_invisible_to_other_threads():
    inside, release = threading.Event(), threading.Event()
    seen = {}

    class Blocking(layers.Layer):
        def call(self, x, training=None):
            if training:
                inside.set()
                release.wait(5)
            return x

    class Probe(layers.Layer):
        def call(self, x, training=None):
            seen["training"] = training
            return x

    blocking, probe = Blocking(), Probe()
    worker = threading.Thread(target=lambda: blocking(torch.ones(1), training=True))
    worker.start()
    assert inside.wait(5)
    probe(torch.ones(1))  # while the other thread is inside a training=True call
    release.set()
    worker.join()
    assert seen["training"] is None  # the signature's default, as Keras passes it


# ------------------------------------------------------------ losses per outermost call
def test_a_shared_layer_keeps_the_activity_loss_of_each_call():
    # Keras 3.15 (torch backend) gives [0.18, 0.72], then 2 after a second call, and 1 after a
    # standalone call of the shared layer.
    shared = layers.Dense(2, activity_regularizer="l2", kernel_initializer="ones")
    a, b = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([a, b], layers.add([shared(a), shared(b)]))
    data = [np.ones((2, 3)), 2 * np.ones((2, 3))]
    model(data)
    assert [float(v.detach()) for v in model.losses] == pytest.approx([0.18, 0.72], rel=1e-6)
    model(data)
    assert len(model.losses) == 2
    shared(np.ones((1, 3)))
    assert len(model.losses) == 1 and len(shared.losses) == 1


def test_fit_adds_every_call_of_a_shared_layers_activity_loss():
    shared = layers.Dense(1, activity_regularizer=keras.regularizers.L1(1.0),
                          kernel_initializer="ones", use_bias=False)
    a, b = keras.Input((1,)), keras.Input((1,))
    model = keras.Model([a, b], layers.add([shared(a), shared(b)]))
    model.compile(keras.optimizers.SGD(learning_rate=0.0), "mse")
    x1, x2 = np.full((4, 1), 1.0), np.full((4, 1), 2.0)
    history = model.fit([x1, x2], np.full((4, 1), 3.0), batch_size=4, verbose=0)
    assert history.history["loss"][0] == pytest.approx(0.0 + 1.0 + 2.0)  # mse 0, |1| + |2|


# ------------------------------------------------------------ whole input structures
def test_autocast_applies_to_every_tensor_of_a_structure():
    # Keras casts each float input to the layer's compute dtype, not only the first one.
    for layer in (layers.Concatenate(), layers.Add(), layers.Multiply()):
        out = layer([torch.ones(2, 3, dtype=torch.float64), torch.ones(2, 3)])
        assert out.dtype == torch.float32, type(layer).__name__


def test_input_specs_check_every_input_of_a_structure():
    class Pair(layers.Layer):
        def __init__(self):
            super().__init__()
            self.input_spec = [keras.InputSpec(ndim=2), keras.InputSpec(ndim=3)]

        def call(self, inputs):
            return inputs[0]

    pair = Pair()
    pair([torch.ones(2, 3), torch.ones(2, 3, 4)])
    with pytest.raises(ValueError, match=r'Input 1 of layer "pair.*expected ndim=3'):
        pair([torch.ones(2, 3), torch.ones(2, 3)])


# ------------------------------------------------------------ building once, symbolically
def test_fit_builds_without_running_the_model_on_real_data():
    real_calls = []

    class Counting(layers.Layer):
        def call(self, x):
            if not x.is_meta:
                real_calls.append(tuple(x.shape))
            return x

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.count = Counting()
            self.head = layers.Dense(1)

        def call(self, x):
            return self.head(self.count(x))

    model = Subclassed()
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), batch_size=4, verbose=0)
    assert real_calls == [(4, 3), (4, 3)]  # the two training steps, and nothing else


def test_a_stateful_rnn_with_a_fixed_batch_size_trains():
    model = keras.Sequential([keras.Input(batch_shape=(4, 5, 3)), layers.LSTM(2, stateful=True),
                              layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(np.ones((8, 5, 3)), np.ones((8, 1)), batch_size=4, shuffle=False,
                        epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert tuple(model.layers[0]._states[0].shape) == (4, 2)  # carried, at the fixed batch size


def test_integer_data_into_float_weights_is_promoted_as_keras_does():
    x = np.arange(10).reshape(5, 2)
    dense = layers.Dense(3, kernel_initializer="ones", bias_initializer="zeros")
    np.testing.assert_allclose(dense(x).detach().numpy(), np.repeat(x.sum(1, keepdims=True), 3, 1))
    cells = layers.StackedRNNCells([layers.SimpleRNNCell(4), layers.SimpleRNNCell(4)])
    assert layers.RNN(cells)(np.ones((2, 3, 5), "int64")).dtype == torch.float32
    # ids stay ids wherever an Embedding is inside
    assert layers.TimeDistributed(layers.Embedding(10, 2))(np.ones((2, 3, 4), "int64")).shape == (2, 3, 4, 2)
    assert layers.Reshape((4,))(np.arange(8).reshape(2, 2, 2)).dtype == torch.int64  # no weights
