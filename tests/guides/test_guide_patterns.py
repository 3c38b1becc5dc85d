"""Whole small programs in the style of the Keras developer guides (issue 8): the composition
patterns that real Keras code uses and that lamina's layer-by-layer tests did not exercise.
Each test is a user-level program; values are checked against a formula or a property."""

import os

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import layers, ops


# ------------------------------------------------------------ 1. unbuilt sublayers, symbolic call
class TransformerBlock(layers.Layer):
    """Sublayers created in __init__, built only when the block is first called."""

    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop = layers.Dropout(rate)

    def call(self, inputs, training=None):
        attended = self.att(inputs, inputs)
        out1 = self.norm1(inputs + self.drop(attended, training=training))
        return self.norm2(out1 + self.ffn(out1))


def test_a_layer_holding_unbuilt_sublayers_builds_on_a_symbolic_input():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((6, 8))
    block = TransformerBlock(8, 2, 16, rate=0.0)
    outputs = layers.Dense(1)(layers.GlobalAveragePooling1D()(block(inputs)))
    model = keras.Model(inputs, outputs)
    assert outputs.shape == (None, 1)
    attention = 2 * (3 * (8 * 8 + 8)) + 2 * 8 * 8 + 8  # q, k, v kernels+biases, output
    ffn = (8 * 16 + 16) + (16 * 8 + 8)
    assert model.count_params() == attention + ffn + 2 * 2 * 8 + (8 + 1)
    # The sublayers' weights are real (not meta) and their build shapes leave the batch open.
    assert all(not w.is_meta for w in model.weights)
    assert block.norm1.get_build_config() == {"input_shape": [None, 6, 8]}
    # The model computes what the block computes when called eagerly.
    x = np.random.RandomState(0).rand(3, 6, 8).astype("float32")
    expected = model.layers[-1](ops.mean(block(torch.from_numpy(x)), axis=1))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected.detach().numpy(), rtol=1e-5)
    model.compile(keras.optimizers.Adam(learning_rate=0.01), "mse")
    history = model.fit(x, np.full((3, 1), 3.0), epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_a_subclassed_model_of_nested_custom_layers_on_symbolic_inputs():
    class NestedDense(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.inner = layers.Dense(units)

        def call(self, x):
            return ops.relu(self.inner(x))

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.first = NestedDense(4)
            self.second = NestedDense(2)

        def call(self, x):
            return self.second(self.first(x))

    inputs = keras.Input((5,))
    outer = Outer()
    model = keras.Model(inputs, outer(inputs))
    assert model.output_shape == (None, 2)
    assert model.count_params() == (5 * 4 + 4) + (4 * 2 + 2)
    # Weights are named after the layers built around them, as Keras names them.
    first, second = outer.first, outer.second
    assert [w.path for w in model.weights] == [
        f"{outer.name}/{first.name}/{first.inner.name}/kernel",
        f"{outer.name}/{first.name}/{first.inner.name}/bias",
        f"{outer.name}/{second.name}/{second.inner.name}/kernel",
        f"{outer.name}/{second.name}/{second.inner.name}/bias"]
    sequential = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    assert sequential.weights[0].path == f"{sequential.name}/{sequential.layers[0].name}/kernel"


# ------------------------------------------------------------ 2. add_loss without a compiled loss
class Endpoint(layers.Layer):
    """An endpoint layer: computes its own loss from the targets it is given as an input."""

    def call(self, targets, predictions):
        self.add_loss(ops.mean(ops.square(targets - predictions)))
        return predictions


def _endpoint_model():
    x_in, y_in = keras.Input((3,), name="x"), keras.Input((2,), name="y")
    predictions = layers.Dense(2, kernel_initializer="ones", name="dense")(x_in)
    return keras.Model([x_in, y_in], Endpoint()(y_in, predictions))


def test_compile_without_a_loss_trains_on_the_losses_added_by_layers():
    model = _endpoint_model()
    model.compile(keras.optimizers.SGD(learning_rate=0.0))  # weights stay: the loss is a formula
    x = np.arange(12, dtype="float32").reshape(4, 3) / 10
    y = np.ones((4, 2), "float32")
    expected = np.mean((y - x.sum(axis=1, keepdims=True)) ** 2)
    history = model.fit([x, y], epochs=2, batch_size=4, verbose=0)
    assert history.history["loss"] == pytest.approx([expected, expected], rel=1e-6)
    assert model.evaluate([x, y], verbose=0) == pytest.approx(expected, rel=1e-6)

    model.compile(keras.optimizers.SGD(learning_rate=0.1))
    history = model.fit([x, y], epochs=5, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_no_compiled_and_no_added_loss_says_what_to_do():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd")
    with pytest.raises(ValueError, match="No loss to compute.*loss=.*add_loss"):
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)


# ------------------------------------------------------------ 3. trainable propagation
def test_freezing_a_model_sets_trainable_on_every_nested_layer():
    base = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.BatchNormalization()],
                            name="base")
    model = keras.Sequential([keras.Input((4,)), base, layers.Dense(1)])
    base.trainable = False
    assert [layer.trainable for layer in base.layers] == [False, False]
    assert len(model.trainable_weights) == 2  # only the head
    model.trainable = False
    assert all(not layer.trainable for layer in model._flatten_layers())
    assert model.trainable_weights == []
    model.trainable = True
    assert all(layer.trainable for layer in model._flatten_layers())
    assert len(model.trainable_weights) == 2 + 2 + 2  # moving statistics never train
    base.layers[0].trainable = False  # one nested layer frozen again, on its own
    assert len(model.trainable_weights) == 4 and not base.layers[0].kernel.requires_grad


# ------------------------------------------------------------ 4. configs name their module
def test_deserialize_keras_object_follows_the_configs_module():
    from lamina.saving import deserialize_keras_object, serialize_keras_object

    l1 = deserialize_keras_object({"module": "keras.regularizers", "class_name": "L1",
                                   "config": {"l1": 0.25}, "registered_name": None})
    assert isinstance(l1, keras.regularizers.L1) and l1.l1 == pytest.approx(0.25)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    rebuilt = deserialize_keras_object(serialize_keras_object(schedule))
    assert float(rebuilt(10)) == pytest.approx(0.05)
    mse = deserialize_keras_object({"module": "builtins", "class_name": "function",
                                    "config": "mean_squared_error", "registered_name": "function"})
    assert mse is keras.losses.mean_squared_error
    assert deserialize_keras_object("relu") == "relu"  # an unregistered name stays a name
    dense = deserialize_keras_object(serialize_keras_object(layers.Dense(3, name="d")))
    assert isinstance(dense, layers.Dense) and dense.units == 3


# ------------------------------------------------------------ 5. input rank adjustment
def test_functional_models_add_or_drop_a_trailing_axis_of_one():
    keras.utils.set_random_seed(0)
    images = keras.Input((28, 28, 1))
    model = keras.Model(images, layers.Dense(2)(layers.Flatten()(images)))
    x = np.random.RandomState(0).rand(3, 28, 28).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(x[..., None], verbose=0))
    model.compile("sgd", "mse")
    model.fit(x, np.ones((3, 2)), verbose=0)

    features = keras.Input((5,))
    model = keras.Model(features, layers.Dense(1)(features))
    x = np.random.RandomState(1).rand(3, 5).astype("float32")
    np.testing.assert_allclose(model.predict(x[..., None], verbose=0), model.predict(x, verbose=0))


def test_functional_models_cast_integer_data_to_the_inputs_dtype():
    features = keras.Input((3,))
    model = keras.Model(features, layers.Dense(1)(features))
    x = np.array([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(x.astype("float32"), verbose=0))
    np.testing.assert_allclose(model.predict(x.astype("uint8"), verbose=0),
                               model.predict(x.astype("float32"), verbose=0))


# ------------------------------------------------------------ 6. symbolic masks
def test_masks_are_symbolic_and_reach_custom_layers_while_the_model_is_built():
    received = []

    class MaskedAverage(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, x, mask=None):
            received.append(mask)
            weights = ops.expand_dims(ops.cast(mask, x.dtype), -1)
            return ops.sum(x * weights, axis=1) / ops.sum(weights, axis=1)

        def compute_mask(self, inputs, mask=None):
            return None

    ids = keras.Input((5,), dtype="int32")
    embedded = layers.Embedding(10, 4, mask_zero=True)(ids)
    assert embedded._keras_mask.shape == (None, 5) and embedded._keras_mask.dtype == "bool"
    average = MaskedAverage()(embedded)
    assert received and all(m is not None for m in received)
    assert getattr(average, "_keras_mask", None) is None
    model = keras.Model(ids, average)
    data = np.array([[1, 2, 0, 0, 0], [3, 0, 0, 0, 0]])
    table = model.layers[1].embeddings.detach().numpy()
    expected = np.stack([table[[1, 2]].mean(axis=0), table[3]])
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-6)


def test_a_symbolic_mask_flows_through_masking_into_an_lstm():
    inputs = keras.Input((4, 3))
    masked = layers.Masking(0.0)(inputs)
    assert masked._keras_mask.shape == (None, 4)
    model = keras.Model(inputs, layers.LSTM(2)(masked))
    x = np.random.RandomState(0).rand(2, 4, 3).astype("float32")
    padded = x.copy()
    padded[:, 3] = 0.0  # a masked last step leaves the final state as after step 3
    np.testing.assert_allclose(model.predict(padded, verbose=0),
                               model.predict(x[:, :3], verbose=0), rtol=1e-5)


# ------------------------------------------------------------ 7. compute_loss overrides
def test_a_compute_loss_override_without_training_argument_trains_and_evaluates():
    class Distiller(keras.Model):
        def __init__(self, student, teacher):
            super().__init__()
            self.student, self.teacher = student, teacher

        def call(self, x):
            return self.student(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            soft = ops.mean(ops.square(self.teacher(x) - y_pred))
            hard = ops.mean(ops.square(y - y_pred))
            return 0.5 * soft + 0.5 * hard

    student = keras.Sequential([keras.Input((3,)), layers.Dense(1, kernel_initializer="zeros")])
    teacher = keras.Sequential([keras.Input((3,)), layers.Dense(1, kernel_initializer="ones")])
    teacher.trainable = False
    distiller = Distiller(student, teacher)
    distiller.compile(keras.optimizers.SGD(learning_rate=0.0), metrics=["mae"])
    x = np.ones((4, 3), "float32")
    y = np.full((4, 1), 2.0, "float32")
    expected = 0.5 * 3.0 ** 2 + 0.5 * 2.0 ** 2  # student predicts 0, teacher 3
    history = distiller.fit(x, y, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected)
    loss, mae = distiller.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(expected) and mae == pytest.approx(2.0)


# ------------------------------------------------------------ 8. train_step without call()
def test_fit_of_a_model_with_its_own_train_step_and_no_call():
    class PairTrainer(keras.Model):
        def __init__(self, generator, critic):
            super().__init__()
            self.generator, self.critic = generator, critic

        def compile(self, g_optimizer, c_optimizer):
            super().compile()
            self.g_optimizer, self.c_optimizer = g_optimizer, c_optimizer

        def train_step(self, real):
            fake = self.generator(torch.ones(real.shape[0], 2))
            critic_loss = ops.mean(self.critic(fake)) - ops.mean(self.critic(real))
            self.critic.zero_grad()
            critic_loss.backward()
            weights = self.critic.trainable_weights
            self.c_optimizer.apply([w.grad for w in weights], weights)
            return {"critic_loss": critic_loss.detach()}

    generator = keras.Sequential([keras.Input((2,)), layers.Dense(3)])
    critic = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    pair = PairTrainer(generator, critic)
    pair.compile(keras.optimizers.Adam(), keras.optimizers.SGD(learning_rate=0.1))
    before = critic.get_weights()[0].copy()
    history = pair.fit(np.ones((8, 3), "float32"), epochs=2, batch_size=4, verbose=0)
    assert len(history.history["critic_loss"]) == 2
    assert not np.allclose(critic.get_weights()[0], before)


# ------------------------------------------------------------ 9. keras.Variable
def test_variable_takes_keras_arguments():
    v = keras.Variable(initializer=keras.initializers.Ones(), shape=(2,), dtype="float32",
                       trainable=False, name="counter")
    assert v.name == "counter" and v.trainable is False and not v.requires_grad
    v.assign([1.0, 2.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub([0.5, 0.5])
    np.testing.assert_allclose(v.numpy(), [1.5, 2.5])
    np.testing.assert_allclose((v * 2).detach().numpy(), [3.0, 5.0])
    assert v.value is v
    assert keras.Variable("zeros", shape=(2, 3)).shape == (2, 3)
    assert keras.Variable(np.zeros((2, 2)), dtype="float64").dtype == torch.float64
    assert keras.Variable(np.zeros(2)).dtype == torch.float32  # floatx, as Keras
    assert keras.Variable(3).dtype == torch.int32
    assert keras.Variable(1.0).requires_grad
    with pytest.raises(ValueError, match="needs a `shape`"):
        keras.Variable("ones")
    with pytest.raises(ValueError, match=r"shape=\(2,\)"):
        keras.Variable(np.zeros(3), shape=(2,))
    with pytest.raises(TypeError, match="Variable"):
        keras.Variable(1.0, requires_gradient=True)


# ------------------------------------------------------------ 10. custom get_compile_config
def test_saving_a_model_whose_compile_config_holds_objects(tmp_path):
    class Regressor(keras.Model):
        def compile(self, optimizer, loss_fn):
            super().compile(optimizer=optimizer, loss=loss_fn)
            self.loss_fn = loss_fn

        def get_compile_config(self):  # objects, not names: saving serializes them
            return {"optimizer": self.optimizer, "loss": self.loss_fn}

        def compile_from_config(self, config):
            self.compile(keras.optimizers.deserialize(config["optimizer"]),
                         keras.losses.deserialize(config["loss"]))

    inputs = keras.Input((2,))
    model = Regressor(inputs, layers.Dense(1)(inputs))
    model.compile(keras.optimizers.Adam(learning_rate=0.01), keras.losses.MeanAbsoluteError())
    path = os.path.join(tmp_path, "regressor.keras")
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"Regressor": Regressor})
    assert isinstance(loaded.optimizer, keras.optimizers.Adam)
    assert loaded.optimizer.learning_rate == pytest.approx(0.01)
    x, y = np.ones((2, 2), "float32"), np.zeros((2, 1), "float32")
    mae = np.mean(np.abs(loaded.predict(x, verbose=0)))
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(mae, rel=1e-5)


# ------------------------------------------------------------ 11. beyond Keras
def test_sublayers_may_be_assigned_before_super_init():
    class Head(layers.Layer):
        def __init__(self, units):
            self.units = units
            self.dense = layers.Dense(units)
            self.parts = [layers.Dense(units), layers.Dense(units)]
            super().__init__()

        def call(self, x):
            return self.parts[1](self.parts[0](self.dense(x)))

    head = Head(3)
    assert head(np.ones((2, 4), "float32")).shape == (2, 3)
    assert len(head.weights) == 6 and len(list(head.parameters())) == 6
    inputs = keras.Input((4,))
    assert keras.Model(inputs, Head(2)(inputs)).count_params() == (4 * 2 + 2) + 2 * (2 * 2 + 2)


def test_data_loaders_and_generators_yielding_lists():
    dataset = torch.utils.data.TensorDataset(torch.ones(8, 3), torch.full((8, 1), 2.0))
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, kernel_initializer="zeros")])
    model.compile(keras.optimizers.SGD(learning_rate=0.0), "mse")
    loader = torch.utils.data.DataLoader(dataset, batch_size=4)
    assert isinstance(next(iter(loader)), list)
    assert model.fit(loader, verbose=0).history["loss"][0] == pytest.approx(4.0)

    def batches():
        for _ in range(2):
            yield [np.ones((4, 3), "float32"), np.full((4, 1), 2.0, "float32")]

    assert model.fit(batches(), verbose=0).history["loss"][0] == pytest.approx(4.0)


# ------------------------------------------------------------ the customizing-fit guide
def test_a_custom_test_step_sees_the_compiled_metrics_in_evaluate():
    class OnlyMetrics(keras.Model):
        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            for metric in self.metrics:
                if metric.name != "loss":
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = keras.Input((2,))
    model = OnlyMetrics(inputs, layers.Dense(1, kernel_initializer="zeros")(inputs))
    model.compile(loss="mse", metrics=["mae"])
    loss, mae = model.evaluate(np.ones((4, 2)), np.full((4, 1), 3.0), verbose=0)
    assert loss == 0.0 and mae == pytest.approx(3.0)  # the loss tracker was never updated


def test_validation_inside_fit_calls_the_callbacks_test_hooks():
    events = []

    class Recorder(keras.callbacks.Callback):
        def on_test_begin(self, logs=None):
            events.append("test_begin")

        def on_test_batch_end(self, batch, logs=None):
            events.append("test_batch")

        def on_test_end(self, logs=None):
            events.append(("test_end", sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            events.append("epoch_end")

    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    x, y = np.ones((8, 2)), np.ones((8, 1))
    model.fit(x, y, batch_size=4, epochs=2, validation_data=(x, y), callbacks=[Recorder()],
              verbose=0)
    validation = ["test_begin", "test_batch", "test_batch", ("test_end", ["loss", "mae"])]
    assert events == (validation + ["epoch_end"]) * 2


# ------------------------------------------------------------ sub-models of a bigger graph
def test_models_cut_from_intermediate_tensors_share_the_layers():
    inputs = keras.Input((None, None, 3))
    processed = layers.Rescaling(1 / 255.0)(inputs)
    conv = layers.Conv2D(4, 3)(processed)
    feature = layers.Dense(10)(layers.GlobalAveragePooling2D()(conv))
    full = keras.Model(inputs, feature)
    backbone = keras.Model(processed, conv)  # inputs that no Input produced, as Keras allows
    head = keras.Model(conv, feature)
    assert backbone.count_params() == 3 * 3 * 3 * 4 + 4 and head.count_params() == 4 * 10 + 10
    assert backbone.layers[1] is full.layers[2]  # the same Conv2D, the same weights
    x = np.random.RandomState(0).rand(2, 8, 8, 3).astype("float32") / 255.0
    np.testing.assert_allclose(head.predict(backbone.predict(x, verbose=0), verbose=0),
                               full.predict(x * 255.0, verbose=0), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(conv, layers.add([feature, layers.Dense(10)(keras.Input((10,)))]))
