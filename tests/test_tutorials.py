"""The classic Keras tutorial programs, run with only the import changed."""

import warnings

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import layers


def synthetic_digits(n=256, seed=0):
    """28x28 "images" whose class is the brightest of 10 vertical bands: learnable in an epoch."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 10, n)
    x = rng.rand(n, 28, 28).astype("float32") * 0.5
    for i, label in enumerate(y):
        x[i, :, label * 2:label * 2 + 3] += 0.5
    return x, y


def test_sequential_mlp_beginner_quickstart():
    keras.utils.set_random_seed(0)
    x, y = synthetic_digits()
    model = keras.models.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["accuracy"][-1] > history.history["accuracy"][0]
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.8
    probabilities = model.predict(x[:3], verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_functional_api_guide_program():
    keras.utils.set_random_seed(0)
    x, y = synthetic_digits()
    inputs = keras.Input(shape=(784,))
    h = layers.Dense(64, activation="relu")(inputs)
    h = layers.Dense(64, activation="relu")(h)
    outputs = layers.Dense(10)(h)
    model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
    history = model.fit(x.reshape(-1, 784), y, batch_size=64, epochs=4, validation_split=0.2,
                        verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_core_api_simple_dense_in_a_model():
    class SimpleDense(keras.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                     trainable=True)

        def call(self, inputs):
            return keras.ops.matmul(inputs, self.w) + self.b

    keras.utils.set_random_seed(1)
    inputs = keras.Input(shape=(4,))
    outputs = SimpleDense(1)(SimpleDense(8)(inputs))
    model = keras.Model(inputs, outputs)
    x = np.random.rand(128, 4).astype("float32")
    y = x @ np.array([[1.0], [2.0], [-1.0], [0.5]], dtype="float32")
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]


def test_keras2_era_program_runs_with_warnings():
    from lamina.datasets import pima_indians_diabetes

    x, y = pima_indians_diabetes.load_data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from lamina.layers.core import Dense

        model = keras.models.Sequential()
        model.add(Dense(12, input_dim=8, init="uniform", activation="relu"))
        model.add(Dense(1, init="uniform", activation="sigmoid"))
        sgd = keras.optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
        model.compile(loss="binary_crossentropy", optimizer=sgd, metrics=["acc"])
        history = model.fit(x, y, nb_epoch=2, batch_size=32, verbose=0)
        classes = model.predict_classes(x[:5])
    messages = " ".join(str(w.message) for w in caught if w.category is DeprecationWarning)
    for old in ("lamina.layers.core", "input_dim", "init", "lr", "decay", "nb_epoch",
                "predict_classes"):
        assert old in messages, old
    assert list(history.history) == ["acc", "loss"] and classes.shape == (5, 1)


def test_keras1_mnist_example_runs_with_warnings():
    """keras/examples/mnist_cnn.py of Keras 1.2: np_utils, K.image_dim_ordering(),
    Convolution2D(filters, rows, cols, border_mode=...), nb_epoch."""
    from lamina import backend as K
    from lamina.layers import Activation, Convolution2D, Flatten, MaxPooling2D
    from lamina.utils import np_utils

    rng = np.random.RandomState(0)
    x, y = rng.rand(16, 8, 8).astype("float32"), rng.randint(0, 3, 16)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if K.image_dim_ordering() == "th":
            x, input_shape = x.reshape(16, 1, 8, 8), (1, 8, 8)
        else:
            x, input_shape = x.reshape(16, 8, 8, 1), (8, 8, 1)
        labels = np_utils.to_categorical(y, 3)
        model = keras.models.Sequential()
        model.add(Convolution2D(4, 3, 3, border_mode="valid", input_shape=input_shape))
        model.add(Activation("relu"))
        model.add(MaxPooling2D(pool_size=(2, 2)))
        model.add(Flatten())
        model.add(layers.Dense(3, activation="softmax"))
        model.compile(loss="categorical_crossentropy", optimizer="adadelta", metrics=["accuracy"])
        model.fit(x, labels, batch_size=8, nb_epoch=1, verbose=0)
        K.set_image_dim_ordering("th")
        assert K.image_data_format() == "channels_first" and K.image_dim_ordering() == "th"
        K.set_image_dim_ordering("tf")
    messages = " ".join(str(w.message) for w in caught if w.category is DeprecationWarning)
    for old in ("image_dim_ordering", "np_utils.to_categorical", "Convolution2D",
                "border_mode", "nb_epoch"):
        assert old in messages, old
    assert input_shape == (8, 8, 1) and labels.shape == (16, 3)
    assert model.layers[0].kernel.shape == (3, 3, 1, 4)
    with pytest.raises(ValueError, match="'th' or 'tf'"), pytest.warns(DeprecationWarning):
        K.set_image_dim_ordering("channels_last")
    with pytest.raises(AttributeError, match="Keras 2 names"):
        np_utils.categorical_probas_to_classes


def test_keras1_and_2_generator_methods_take_their_own_arguments(capsys):
    """fit_generator(generator, steps_per_epoch, epochs) positionally (fit's second argument is
    y), Keras 1's samples_per_epoch / nb_val_samples / val_samples counted in samples, and the
    Keras 2 default verbose=0 of evaluate_generator / predict_generator."""
    rng = np.random.RandomState(0)
    x, y = rng.rand(24, 3).astype("float32"), rng.rand(24, 1).astype("float32")

    class Batches(keras.utils.PyDataset):  # says its batch size, as Keras 1 iterators did
        batch_size = 8

        def __len__(self):
            return 3

        def __getitem__(self, index):
            return x[index * 8:(index + 1) * 8], y[index * 8:(index + 1) * 8]

    def endless():
        while True:
            for i in range(3):
                yield x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit_generator(endless(), 2, 3, 0)  # steps_per_epoch, epochs, verbose
        assert len(history.history["loss"]) == 3
        seen = []
        probe = keras.callbacks.LambdaCallback(
            on_train_batch_end=lambda batch, logs: seen.append(batch))
        model.fit_generator(Batches(), samples_per_epoch=24, nb_epoch=1, verbose=0,
                            validation_data=Batches(), nb_val_samples=16, callbacks=[probe])
        assert seen == [0, 1, 2]  # 24 samples in batches of 8
        loss = model.evaluate_generator(endless(), 2)
        predictions = model.predict_generator(endless(), 2, workers=1)
    assert isinstance(loss, float) and predictions.shape == (16, 1)
    assert capsys.readouterr().out == ""  # Keras 2's evaluate/predict_generator: verbose=0
    messages = " ".join(str(w.message) for w in caught if w.category is DeprecationWarning)
    for old in ("fit_generator", "samples_per_epoch", "steps_per_epoch=3", "nb_val_samples",
                "nb_epoch", "evaluate_generator", "predict_generator(workers=...)"):
        assert old in messages, old
    with pytest.raises(TypeError, match="two values for `epochs`"), pytest.warns(
            DeprecationWarning):
        model.fit_generator(endless(), 2, 3, epochs=4)


def test_keras2_k_function_runs_part_of_a_model():
    from lamina import backend as K

    inputs = keras.Input((3,))
    hidden = layers.Dense(4, activation="relu", name="hidden")(inputs)
    dropped = layers.Dropout(0.999)(hidden)
    model = keras.Model(inputs, layers.Dense(1)(dropped))
    x = np.random.RandomState(0).rand(5, 3).astype("float32")
    with pytest.warns(DeprecationWarning, match="K.function"):
        features = K.function([model.input], [model.get_layer("hidden").output])
        with_phase = K.function([model.input, K.learning_phase()], [dropped])
    np.testing.assert_allclose(features([x])[0], model.get_layer("hidden")(x).detach().numpy())
    assert np.array_equal(with_phase([x, 0])[0], features([x])[0])  # 0: inference
    assert (with_phase([x, 1])[0] == 0).mean() > 0.5  # 1: training, dropout applies

    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), loss="mse")
    x = np.random.rand(32, 3).astype("float32")
    history = model.fit(x, x.sum(axis=1, keepdims=True), epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_floatx_is_read_by_layers():
    keras.config.set_floatx("float64")
    try:
        model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
        assert model.weights[0].dtype == torch.float64
        assert model.predict(np.ones((1, 3)), verbose=0).dtype == np.float64
    finally:
        keras.config.set_floatx("float32")
    with pytest.raises(ValueError, match="float32"):
        keras.config.set_floatx("float8")


def test_backend_k_helpers():
    from lamina import backend as K

    assert K.image_data_format() == "channels_last" and K.epsilon() == 1e-7
    K.clear_session()
    assert layers.Dense(1).name == "dense"


def test_pandas_inputs():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(np.random.rand(20, 3), columns=["a", "b", "c"])
    target = pd.Series(np.random.rand(20))
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert len(model.fit(frame, target, epochs=1, verbose=0).history["loss"]) == 1


class CustomStepModel(keras.Model):
    """The Keras "customizing fit() with PyTorch" guide's model, unchanged."""

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_custom_train_step_on_a_functional_subclass():
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(32,))
    model = CustomStepModel(inputs, keras.layers.Dense(1)(inputs))
    assert isinstance(model, keras.models.Functional) and model.output_shape == (None, 1)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = np.random.random((256, 32)), np.random.random((256, 1))
    history = model.fit(x, y, epochs=3, verbose=0)
    assert list(history.history) == ["loss", "mae"]
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_custom_metrics_property_and_compile_without_loss():
    class MAEModel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = keras.ops.mean(keras.ops.square(y - y_pred))
            loss.backward()
            with torch.no_grad():
                self.optimizer.apply([v.value.grad for v in self.trainable_weights],
                                     self.trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(8,))
    model = MAEModel(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="adam")
    x, y = np.random.random((128, 8)), np.random.random((128, 1))
    history = model.fit(x, y, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "mae"} and history.history["loss"][0] > 0
    mae = float(np.abs(model.predict(x, verbose=0) - y).mean())
    assert history.history["mae"][-1] == pytest.approx(mae, rel=0.2)


def test_keras1_examples_idioms_run_with_warnings():
    """Idioms of Keras 1.2's examples: Embedding(dropout=), Convolution1D(nb_filter=,
    filter_length=, subsample_length=), LSTM(dropout_W=, dropout_U=), keras.objectives,
    K.random_normal(std=) in a Lambda of a model with a fixed batch_shape."""
    from lamina import backend as K
    from lamina import objectives

    rng = np.random.RandomState(0)
    ids = rng.randint(1, 50, (16, 12))
    labels = rng.randint(0, 2, 16)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.models.Sequential()
        model.add(layers.Embedding(50, 8, input_length=12, dropout=0.2))
        model.add(layers.Convolution1D(nb_filter=4, filter_length=3, border_mode="valid",
                                       activation="relu", subsample_length=1))
        model.add(layers.LSTM(3, dropout_W=0.2, dropout_U=0.2))
        model.add(layers.Dense(1, activation="sigmoid"))
        model.compile(loss=objectives.binary_crossentropy, optimizer="adam")
        model.fit(ids, labels, batch_size=8, nb_epoch=1, verbose=0)

        batch_size = 4
        x = keras.Input(batch_shape=(batch_size, 6))
        z_mean = layers.Dense(2)(x)

        def sampling(z):
            return z + K.random_normal(shape=(batch_size, 2), mean=0.0, std=1.0)

        z = layers.Lambda(sampling, output_shape=(2,))(z_mean)
        vae_like = keras.Model(x, layers.Dense(6)(z))
        vae_like.compile(optimizer="rmsprop", loss="mse")
        data = rng.rand(12, 6).astype("float32")
        vae_like.fit(data, data, batch_size=batch_size, nb_epoch=1, verbose=0)  # fixed batch
    messages = " ".join(str(w.message) for w in caught if w.category is DeprecationWarning)
    for old in ("dropout=", "SpatialDropout1D", "nb_filter", "dropout_W", "objectives",
                "std="):
        assert old in messages, old
    assert model.layers[1].filters == 4 and model.layers[1].kernel_size == (3,)


def test_a_loss_closing_over_symbolic_tensors_says_what_to_do():
    """Keras 1's VAE loss used the model's symbolic z_mean inside the loss function (TF1 graph
    code, which Keras 3 does not run): a clear error instead of a failure deep inside."""
    inputs = keras.Input((4,))
    z_mean = layers.Dense(2)(inputs)
    model = keras.Model(inputs, layers.Dense(4)(z_mean))

    def vae_loss(x, x_decoded):
        return keras.ops.mean(keras.ops.square(x - x_decoded)) + keras.ops.sum(z_mean)

    model.compile("sgd", vae_loss)
    x = np.ones((4, 4), "float32")
    with pytest.raises(TypeError, match="self.add_loss"):
        model.fit(x, x, verbose=0)
