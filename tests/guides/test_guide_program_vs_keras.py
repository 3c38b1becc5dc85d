"""Guide-style programs against Keras 3 itself, each built on a `keras.Input`, compiled, fitted
with a validation split, saved, loaded and fitted again:

- `conv_rnn`: custom layers holding convolution and recurrent sublayers (whose kernels lamina
  stores in torch's memory order behind Keras's shape);
- `transformer_text`: Keras's "text classification with Transformer" example;
- `masked_bilstm`: a masked Embedding into a Bidirectional LSTM and a GRU, masked pooling, two
  named outputs with their own losses, loss weights and metrics, and sample weights.

The reference runs are Keras 3 on JAX (tests/fixtures/guide_programs, made by its
make_fixtures.py, which also checks that Keras reads lamina's files): the same code, the same
`.keras` files, the same numbers."""

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


@keras.saving.register_keras_serializable(package="guide")
class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = keras.ops.shape(x)[-1]
        positions = keras.ops.arange(start=0, stop=maxlen, step=1)
        return self.token_emb(x) + self.pos_emb(positions)

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen, "vocab_size": self.vocab_size,
                "embed_dim": self.embed_dim}


@keras.saving.register_keras_serializable(package="guide")
class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.num_heads, self.ff_dim, self.rate = embed_dim, num_heads, ff_dim, rate
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output, training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output, training=training)
        return self.layernorm2(out1 + ffn_output)

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim,
                "num_heads": self.num_heads, "ff_dim": self.ff_dim, "rate": self.rate}


PROGRAMS = ("conv_rnn", "transformer_text", "masked_bilstm")
# Weights after 9 or 10 steps of learning rate 0.005-0.01 are compared to 1e-5: most agree to
# 3e-7; an embedding row that only a few batches touch, to 2.3e-6 (Adam divides its rare,
# tiny gradients by their own size).
WEIGHT_TOLERANCE = 1e-5


def unflat(record, prefix):
    """An array, or the dict of arrays that make_fixtures.py stored as `prefix:key` entries."""
    if prefix in record:
        return record[prefix]
    entries = {key.partition(":")[2]: value for key, value in record.items()
               if key.startswith(prefix + ":")}
    return entries or None


def load_reference(name):
    with np.load(os.path.join(FIXTURES, f"{name}.npz")) as record:
        return dict(record)


@pytest.fixture(scope="module")
def reference():
    return load_reference("conv_rnn")


def weights_of(record, prefix):
    count = sum(key.startswith(prefix) for key in record)
    return [record[f"{prefix}{i}"] for i in range(count)]


def assert_weights_close(model, expected, atol=WEIGHT_TOLERANCE):
    paths = [w.path for w in model.weights]
    for path, actual, wanted in zip(paths, model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(actual, wanted, atol=atol, rtol=0, err_msg=path)


def assert_predictions_close(actual, expected, atol):
    if isinstance(expected, dict):
        assert sorted(actual) == sorted(expected)
        for key in expected:
            np.testing.assert_allclose(actual[key], expected[key], atol=atol, err_msg=key)
    else:
        np.testing.assert_allclose(actual, expected, atol=atol)


def kernels_in_torch_order(model):
    encoder, reader = model.get_layer("conv_encoder"), model.get_layer("sequence_reader")
    return [encoder.conv.kernel, encoder.depthwise.kernel, encoder.upsample.kernel,
            reader.conv.kernel, reader.lstm.cell.kernel, reader.rnn.cell.kernel]


@pytest.mark.parametrize("name", PROGRAMS)
def test_the_keras_file_trains_in_lamina_as_in_keras(name):
    record = load_reference(name)
    x, y, sample_weight = (unflat(record, key) for key in ("x", "y", "sample_weight"))
    # The file's optimizer was never built (only its iteration count and learning rate); Keras
    # 3 builds it on loading and warns that the saved state does not fit, and so does lamina.
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        model = keras.saving.load_model(os.path.join(FIXTURES, f"{name}_initial.keras"))
    # (Weights are matched by position, as the file stores them: the auto-numbered names of
    # layers that custom layers create depend on what the process built before, and Keras's
    # loaded Bidirectional layers lose their parent's prefix.)
    assert [w.shape for w in model.get_weights()] == [
        w.shape for w in weights_of(record, "trained_")]
    if name == "conv_rnn":  # the test is about the torch-order storage too
        assert not any(kernel.value.is_contiguous() for kernel in kernels_in_torch_order(model))
    history = model.fit(x, y, sample_weight=sample_weight, batch_size=16, epochs=3,
                        shuffle=False, validation_split=0.25, verbose=0).history
    expected_keys = sorted(key[len("history_"):] for key in record if key.startswith("history_"))
    assert sorted(history) == expected_keys
    for key in expected_keys:
        np.testing.assert_allclose(history[key], record[f"history_{key}"], atol=1e-5,
                                   err_msg=key)
    assert_weights_close(model, weights_of(record, "trained_"))
    assert_predictions_close(model.predict(x, verbose=0), unflat(record, "predictions"), 1e-6)


@pytest.mark.parametrize("name", PROGRAMS)
def test_the_trained_keras_file_goes_on_training_as_in_keras(name):
    record = load_reference(name)
    x, y, sample_weight = (unflat(record, key) for key in ("x", "y", "sample_weight"))
    model = keras.saving.load_model(os.path.join(FIXTURES, f"{name}_trained.keras"))
    assert int(model.optimizer.iterations) == 9  # 3 epochs of 3 batches, restored
    assert_predictions_close(model.predict(x, verbose=0), unflat(record, "predictions"), 1e-6)
    model.fit(x, y, sample_weight=sample_weight, batch_size=16, epochs=1, shuffle=False,
              verbose=0)
    assert_weights_close(model, weights_of(record, "continued_"))


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
