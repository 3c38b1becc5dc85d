import numpy as np
import pytest
import torch

import lamina
from lamina import layers


def linear_model(units=1, kernel=None):
    model = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(units)])
    if kernel is not None:
        model.set_weights([kernel, np.zeros(units, "float32")])
    return model


def data(n=20, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 3).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")
    return x, y


def test_one_sgd_epoch_matches_the_formula():
    """Full-batch SGD on MSE: w <- w - lr * dL/dw, computed by hand."""
    x, y = data(8)
    w0 = np.full((3, 1), 0.1, "float32")
    model = linear_model(kernel=w0)
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=0.1), loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    error = x @ w0 - y
    grad_w = 2 * x.T @ error / len(x)
    grad_b = 2 * error.mean(axis=0)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel, w0 - 0.1 * grad_w, rtol=1e-5)
    np.testing.assert_allclose(bias, -0.1 * grad_b, rtol=1e-5)
    assert history.history["loss"][0] == pytest.approx(float((error ** 2).mean()), rel=1e-5)


def test_history_keys_and_epochs():
    x, y = data()
    model = linear_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae", lamina.metrics.RootMeanSquaredError()])
    history = model.fit(x, y, epochs=4, validation_split=0.25, verbose=0)
    assert list(history.history) == ["loss", "mae", "root_mean_squared_error", "val_loss",
                                     "val_mae", "val_root_mean_squared_error"]
    assert history.epoch == [0, 1, 2, 3] and model.history is history
    assert all(isinstance(v, float) for v in history.history["val_loss"])


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x, y = data(10)
    model = linear_model()
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=0.0), loss="mse")
    history = model.fit(x, y, epochs=1, validation_split=0.3, verbose=0)
    expected = model.evaluate(x[7:], y[7:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-6)
    assert history.history["loss"][0] == pytest.approx(model.evaluate(x[:7], y[:7], verbose=0), rel=1e-6)


def test_evaluate_return_conventions():
    x, y = data()
    model = linear_model()
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == ["loss", "mae"] == model.metrics_names
    mae = float(np.abs(model.predict(x, verbose=0) - y).mean())
    assert as_dict["mae"] == pytest.approx(mae, rel=1e-5)


def test_accuracy_resolves_from_shapes():
    x = np.random.rand(12, 3).astype("float32")
    for units, y, loss, expected in [
        (1, np.random.randint(0, 2, (12, 1)), "binary_crossentropy", "BinaryAccuracy"),
        (4, np.random.randint(0, 4, (12,)), "sparse_categorical_crossentropy", "SparseCategoricalAccuracy"),
        (4, np.eye(4)[np.random.randint(0, 4, 12)], "categorical_crossentropy", "CategoricalAccuracy"),
    ]:
        model = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(units, activation="sigmoid" if units == 1 else "softmax")])
        model.compile(optimizer="adam", loss=loss, metrics=["acc"])
        history = model.fit(x, y, epochs=1, verbose=0)
        assert "acc" in history.history
        assert type(model.metrics[-1]).__name__ == expected


def test_sample_weight_and_class_weight_agree():
    x = np.random.rand(16, 3).astype("float32")
    y = np.random.randint(0, 2, (16, 1)).astype("float32")
    weights = {0: 1.0, 1: 3.0}
    results = []
    for kwargs in ({"class_weight": weights},
                   {"sample_weight": np.where(y[:, 0] == 1, 3.0, 1.0).astype("float32")}):
        lamina.utils.set_random_seed(3)
        model = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0, **kwargs)
        results.append(model.get_weights()[0])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_initial_epoch_steps_per_epoch_and_validation_freq():
    x, y = data(20)
    model = linear_model()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]

    class CountBatches(lamina.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.batches = 0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1

    counter = CountBatches()
    model.fit(x, y, epochs=2, batch_size=8, steps_per_epoch=5, callbacks=[counter], verbose=0)
    assert counter.batches == 10  # 5 per epoch, cycling through the 3 batches of data
    history = model.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=2, verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2


def test_predict_returns_numpy_lists_and_dicts():
    inputs = lamina.Input(shape=(3,))
    a, b = layers.Dense(2, name="a")(inputs), layers.Dense(1, name="b")(inputs)
    x = np.random.rand(70, 3).astype("float32")
    out = lamina.Model(inputs, [a, b]).predict(x, batch_size=32, verbose=0)
    assert isinstance(out, list) and out[0].shape == (70, 2) and out[1].dtype == np.float32
    out = lamina.Model(inputs, {"a": a, "b": b}).predict(x, verbose=0)
    assert set(out) == {"a", "b"} and out["b"].shape == (70, 1)


def test_multi_output_losses_weights_and_logs():
    inputs = lamina.Input(shape=(3,))
    model = lamina.Model(inputs, [layers.Dense(1, name="left")(inputs), layers.Dense(2, name="right")(inputs)])
    model.compile(optimizer="sgd", loss=["mse", "mae"], loss_weights=[1.0, 0.5], metrics=["mae"])
    x = np.random.rand(8, 3).astype("float32")
    y = [np.random.rand(8, 1).astype("float32"), np.random.rand(8, 2).astype("float32")]
    # metrics=["mae"] for two outputs is Keras 2's spelling: every output gets its own "mae".
    with pytest.warns(DeprecationWarning, match="Keras 2 applied these metrics to every output"):
        logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["left_loss", "left_mae", "loss", "right_loss", "right_mae"]  # sorted
    left_mae, right_mae = [metric for metric in model.metrics if metric.name.endswith("_mae")]
    assert left_mae is not right_mae
    assert logs["loss"] == pytest.approx(logs["left_loss"] + 0.5 * logs["right_loss"], rel=1e-5)
    history = model.fit(x, {"left": y[0], "right": y[1]}, epochs=1, verbose=0)
    assert "right_mae" in history.history


def test_on_batch_methods():
    x, y = data(8)
    model = linear_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    before = model.test_on_batch(x, y)
    model.train_on_batch(x, y)
    after = model.test_on_batch(x, y, return_dict=True)
    assert after["loss"] < before[0]
    assert model.predict_on_batch(x).shape == (8, 1)


def test_set_random_seed_makes_runs_identical():
    def run():
        lamina.utils.set_random_seed(42)
        model = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(4, activation="relu"),
                                   layers.Dropout(0.5), layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        x, y = data(32)
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_trainable_flag_takes_effect_on_next_compile():
    model = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(4), layers.Dense(1)])
    model.layers[0].trainable = False
    model.compile(optimizer="sgd", loss="mse")
    frozen = model.layers[0].get_weights()
    x, y = data(16)
    model.fit(x, y, epochs=1, verbose=0)
    for before, after in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(before, after)
    assert len(model.trainable_weights) == 2


def test_torch_tensors_and_dict_inputs():
    a, b = lamina.Input(shape=(2,), name="a"), lamina.Input(shape=(1,), name="b")
    model = lamina.Model([a, b], layers.Dense(1)(lamina.ops.concatenate([a, b], axis=-1)))
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit({"a": torch.rand(10, 2), "b": torch.rand(10, 1)}, torch.rand(10, 1), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1


def test_legacy_spellings_warn_and_work():
    x, y = data(8)
    model = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.warns(DeprecationWarning, match="epochs"):
        history = model.fit(x, (y > 0).astype("float32"), nb_epoch=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.warns(DeprecationWarning, match="predict"):
        classes = model.predict_classes(x)
    assert set(np.unique(classes)) <= {0, 1} and classes.shape == (8, 1)
    with pytest.warns(DeprecationWarning, match="predict"):
        assert model.predict_proba(x).shape == (8, 1)


@pytest.mark.parametrize("bad_call, message", [
    (lambda m, x, y: m.fit(x, y, epoches=3, verbose=0), "Did you mean 'epochs'"),
    (lambda m, x, y: m.fit(x, y[:5], verbose=0), "different numbers of samples"),
    (lambda m, x, y: m.fit(np.where(x > 1, np.nan, x), y, verbose=0), "NaN"),
    (lambda m, x, y: m.fit(x[:0], y[:0], verbose=0), "empty"),
    (lambda m, x, y: m.fit(np.array([["a", "b", "c"]] * 20), y, verbose=0), "TextVectorization"),
])
def test_bad_input_errors(bad_call, message):
    x, y = data()
    model = linear_model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises((ValueError, TypeError), match=message):
        bad_call(model, x, y)


def test_fit_before_compile_says_to_compile():
    with pytest.raises(RuntimeError, match="compile"):
        linear_model().fit(*data(), verbose=0)


def test_unknown_names_list_the_valid_ones():
    model = linear_model()
    with pytest.raises(ValueError, match="adam"):
        model.compile(optimizer="adamm", loss="mse")
    model.compile(optimizer="sgd", loss="mean_squared_errror")
    with pytest.raises(ValueError, match="mean_squared_error"):
        model.fit(*data(), verbose=0)


@pytest.mark.parametrize("units, activation, loss, y, message", [
    (3, "softmax", "sparse_categorical_crossentropy", np.eye(3)[np.arange(12) % 3], "categorical_crossentropy"),
    (1, "sigmoid", "binary_crossentropy", np.arange(12) % 10, "sparse_categorical_crossentropy"),
    (3, "softmax", "categorical_crossentropy", np.arange(12) % 3, "sparse_categorical_crossentropy|to_categorical"),
])
def test_labels_that_do_not_fit_the_loss_get_an_actionable_error(units, activation, loss, y, message):
    model = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer="adam", loss=loss)
    with pytest.raises(ValueError, match=message):
        model.fit(np.random.rand(12, 3), y, epochs=1, verbose=0)


def test_callbacks_always_receive_a_logs_dict():
    seen = []

    class Strict(lamina.callbacks.Callback):
        def on_train_begin(self, logs):
            seen.append(("train_begin", dict(logs)))

        def on_epoch_begin(self, epoch, logs):
            seen.append(("epoch_begin", dict(logs)))

        def on_train_batch_begin(self, batch, logs):
            seen.append(("batch_begin", dict(logs)))

    x, y = data(8)
    model = linear_model()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=1, batch_size=8, callbacks=[Strict()], verbose=0)
    assert [name for name, _ in seen] == ["train_begin", "epoch_begin", "batch_begin"]


def test_vector_metric_results_come_back_as_arrays():
    x = np.random.rand(20, 3).astype("float32")
    y = np.eye(2)[np.random.randint(0, 2, 20)]
    model = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=[lamina.metrics.F1Score()])
    history = model.fit(x, y, epochs=1, verbose=0)
    assert history.history["f1_score"][0].shape == (2,)
    assert isinstance(model.evaluate(x, y, verbose=0, return_dict=True)["loss"], float)


def test_get_weights_returns_copies():
    model = linear_model()
    snapshot = model.get_weights()
    model.layers[0].kernel.data.add_(1.0)
    assert not np.allclose(snapshot[0], model.get_weights()[0])


def test_label_check_sees_every_label_not_just_the_first_batch():
    y = np.sort(np.arange(64) % 10)  # sorted: the first batch holds only class 0
    model = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        model.fit(np.random.rand(64, 3), y, epochs=1, verbose=0)


def test_compile_options_without_effect_say_so():
    model = linear_model()
    with pytest.warns(DeprecationWarning, match="sample_weight_mode"):
        model.compile(optimizer="sgd", loss="mse", sample_weight_mode="temporal")


def test_shape_mismatch_in_fit_names_the_layer_and_the_data_shape():
    model = lamina.Sequential([lamina.Input(shape=(8,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r'layer "dense".*value 8.*data of shape \(10, 7\)'):
        model.fit(np.random.rand(10, 7), np.random.rand(10), verbose=0)


def test_one_metric_object_per_output_as_keras_3_matches_them():
    # Keras 3.15: [MAE(), MAE()] on outputs a, b logs a_mean_absolute_error and
    # b_mean_absolute_error; one object listed for two outputs is never shared.
    inputs = lamina.Input(shape=(3,))
    model = lamina.Model(inputs, [layers.Dense(1, name="a")(inputs), layers.Dense(1, name="b")(inputs)])
    x, y = np.ones((4, 3), "float32"), [np.ones((4, 1), "float32"), np.zeros((4, 1), "float32")]
    shared = lamina.metrics.MeanAbsoluteError()
    model.compile("sgd", ["mse", "mse"], metrics={"a": [shared], "b": [shared]})
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    predictions = model.predict(x, verbose=0)
    assert logs["a_mean_absolute_error"] == pytest.approx(np.abs(predictions[0] - 1).mean(), rel=1e-5)
    assert logs["b_mean_absolute_error"] == pytest.approx(np.abs(predictions[1]).mean(), rel=1e-5)
    model.compile("sgd", ["mse", "mse"], metrics=[lamina.metrics.MeanAbsoluteError(), "mse"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(logs) == ["a_loss", "a_mean_absolute_error", "b_loss", "b_mse", "loss"]
