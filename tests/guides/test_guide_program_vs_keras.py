"""A guide-style program against Keras 3 itself: custom layers holding convolution and recurrent
sublayers (whose kernels lamina stores in torch's memory order behind Keras's shape), built on
a `keras.Input`, compiled, fitted with a validation split and callbacks, saved, loaded and
fitted again. The reference run is Keras 3 on JAX (tests/fixtures/guide_programs, made by its
make_fixtures.py): the same code, the same `.keras` files, the same numbers."""

import os

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import layers

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "guide_programs")


@keras.saving.register_keras_serializable(package="guide")
class ConvEncoder(layers.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv = layers.Conv2D(filters, 3, padding="same", activation="relu")
        self.depthwise = layers.DepthwiseConv2D(3, padding="same")
        self.separable = layers.SeparableConv2D(filters, 3, padding="same", activation="relu")
        self.upsample = layers.Conv2DTranspose(filters, 2, strides=2)
        self.pool = layers.MaxPooling2D()

    def call(self, images):
        features = self.pool(self.separable(self.depthwise(self.conv(images))))
        return self.pool(self.upsample(features))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@keras.saving.register_keras_serializable(package="guide")
class SequenceReader(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.lstm = layers.LSTM(units, return_sequences=True)
        self.conv = layers.Conv1D(units, 2, padding="causal", activation="tanh")
        self.gru = layers.GRU(units, return_sequences=True)
        self.rnn = layers.SimpleRNN(units)

    def call(self, sequence):
        return self.rnn(self.gru(self.conv(self.lstm(sequence))))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def build_model():
    inputs = keras.Input((8, 8, 3))
    features = ConvEncoder(4)(inputs)
    sequence = layers.Reshape((16, 4))(features)
    outputs = layers.Dense(1, activation="sigmoid")(SequenceReader(6)(sequence))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(learning_rate=0.01), "binary_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def reference():
    with np.load(os.path.join(FIXTURES, "conv_rnn.npz")) as record:
        return dict(record)


def weights_of(record, prefix):
    count = sum(key.startswith(prefix) for key in record)
    return [record[f"{prefix}{i}"] for i in range(count)]


def assert_weights_close(model, expected, atol):
    paths = [w.path for w in model.weights]
    for path, actual, wanted in zip(paths, model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(actual, wanted, atol=atol, rtol=0, err_msg=path)


def kernels_in_torch_order(model):
    encoder, reader = model.get_layer("conv_encoder"), model.get_layer("sequence_reader")
    return [encoder.conv.kernel, encoder.depthwise.kernel, encoder.upsample.kernel,
            reader.conv.kernel, reader.lstm.cell.kernel, reader.rnn.cell.kernel]


def test_the_keras_file_trains_in_lamina_as_in_keras(reference):
    # The file's optimizer was never built (2 variables); Keras 3 builds it on loading and
    # warns that the saved state does not fit, and so does lamina.
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer 'adam'"):
        model = keras.saving.load_model(os.path.join(FIXTURES, "conv_rnn_initial.keras"))
    assert [w.path for w in model.weights] == list(reference["weight_paths"])
    # The test is about the torch-order storage: these kernels are not row-major.
    assert not any(kernel.value.is_contiguous() for kernel in kernels_in_torch_order(model))
    history = model.fit(reference["x"], reference["y"], batch_size=16, epochs=3,
                        shuffle=False, validation_split=0.25, verbose=0).history
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(history[key], reference[f"history_{key}"], atol=1e-5,
                                   err_msg=key)
    assert_weights_close(model, weights_of(reference, "trained_"), atol=2e-6)
    np.testing.assert_allclose(model.predict(reference["x"], verbose=0),
                               reference["predictions"], atol=1e-6)


def test_the_trained_keras_file_goes_on_training_as_in_keras(reference):
    model = keras.saving.load_model(os.path.join(FIXTURES, "conv_rnn_trained.keras"))
    assert int(model.optimizer.iterations) == 9  # 3 epochs of 3 batches, restored
    np.testing.assert_allclose(model.predict(reference["x"], verbose=0),
                               reference["predictions"], atol=1e-6)
    model.fit(reference["x"], reference["y"], batch_size=16, epochs=1, shuffle=False,
              verbose=0)
    assert_weights_close(model, weights_of(reference, "continued_"), atol=2e-6)


def test_the_guide_program_checkpoints_and_resumes_where_it_stopped(tmp_path, reference):
    """Fit with callbacks, reload the checkpoint, and go on: the reloaded model (weights in
    torch's order again, optimizer state restored) trains on exactly as the original does."""
    keras.utils.set_random_seed(3)
    model = build_model()
    x, y = reference["x"], reference["y"]
    checkpoint, log = tmp_path / "last.keras", tmp_path / "log.csv"
    # (ReduceLROnPlateau first: callbacks run in list order, so the checkpoint holds the
    # learning rate that the last epoch's end set.)
    callbacks = [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=1),
                 keras.callbacks.ModelCheckpoint(str(checkpoint)),
                 keras.callbacks.CSVLogger(str(log))]
    history = model.fit(x, y, batch_size=16, epochs=4, validation_split=0.25,
                        callbacks=callbacks, verbose=0).history
    assert len(log.read_text().splitlines()) == 1 + 4
    assert history["loss"][-1] < history["loss"][0]
    assert float(model.optimizer.learning_rate) < 0.01  # the plateau was reached

    resumed = keras.saving.load_model(str(checkpoint))
    assert int(resumed.optimizer.iterations) == int(model.optimizer.iterations) == 4 * 3
    assert float(resumed.optimizer.learning_rate) == float(model.optimizer.learning_rate)
    assert not any(k.value.is_contiguous() for k in kernels_in_torch_order(resumed))
    np.testing.assert_array_equal(resumed.predict(x, verbose=0), model.predict(x, verbose=0))
    weights_file = tmp_path / "model.weights.h5"
    model.save_weights(str(weights_file))
    fresh = build_model()
    fresh.load_weights(str(weights_file))
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))

    for each in (model, resumed):
        each.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for path, a, b in zip([w.path for w in model.weights], model.get_weights(),
                          resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=path)
