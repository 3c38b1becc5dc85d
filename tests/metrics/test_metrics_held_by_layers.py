"""Metrics a layer holds and updates in its `call` (Keras's endpoint-layer pattern): listed in
`layer.metrics` and `model.metrics`, logged by fit/evaluate, reset each epoch, and left alone
by symbolic calls. Expected lists and keys recorded from Keras 3.15.1."""

import numpy as np

import lamina as keras
from lamina import layers, ops


class LogisticEndpoint(layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy_fn = keras.metrics.BinaryAccuracy()

    def call(self, targets, logits, sample_weights=None):
        self.add_loss(self.loss_fn(targets, logits, sample_weights))
        self.accuracy_fn.update_state(targets, ops.sigmoid(logits))
        return ops.sigmoid(logits)


def _endpoint_model():
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    return keras.Model(inputs=[inputs, targets], outputs=predictions)


def _data():
    rng = np.random.default_rng(0)
    return {"inputs": rng.random((30, 3)).astype("float32"),
            "targets": (rng.random((30, 10)) > 0.5).astype("float32")}


def test_endpoint_layer_metric_is_listed_logged_and_computed_on_real_calls_only():
    model = _endpoint_model()
    endpoint = model.get_layer("predictions")
    assert int(endpoint.accuracy_fn.count) == 0  # the symbolic call updated nothing
    assert endpoint.metrics == [endpoint.accuracy_fn]
    assert [v.path for v in endpoint.metrics_variables] == \
        ["binary_accuracy/total", "binary_accuracy/count"]
    model.compile(optimizer="adam")
    data = _data()
    history = model.fit(data, epochs=2, batch_size=10, verbose=0)
    assert sorted(history.history) == ["binary_accuracy", "loss"]
    assert [type(m).__name__ for m in model.metrics] == ["Mean", "BinaryAccuracy"]
    results = model.evaluate(data, verbose=0, return_dict=True)
    # evaluate resets the metric, then the endpoint measures the model's own predictions.
    expected = keras.metrics.BinaryAccuracy()
    expected.update_state(data["targets"], model.predict(data, verbose=0))
    np.testing.assert_allclose(results["binary_accuracy"], float(expected.result()), rtol=1e-6)
    model.reset_metrics()
    assert int(endpoint.accuracy_fn.count) == 0


def test_metrics_in_lists_and_reassigned_attributes():
    layer = layers.Layer()
    layer.trackers = [keras.metrics.Mean(name="a"), keras.metrics.Sum(name="b")]
    layer.single = keras.metrics.Mean(name="c")
    assert [m.name for m in layer.metrics] == ["a", "b", "c"]
    layer.single = None  # (Keras 3.15 keeps listing it; lamina lists what the layer holds)
    assert [m.name for m in layer.metrics] == ["a", "b"]
    outer = layers.Layer()
    outer.inner = layer
    outer.own = keras.metrics.Mean(name="d")
    assert [m.name for m in outer.metrics] == ["d", "a", "b"]


def test_the_trainers_own_trackers_are_listed_once():
    # Keras 3.15.1: ['loss', 'a_loss', 'b_loss'] and 6 metric variables.
    inputs = keras.Input((4,))
    model = keras.Model(inputs, [layers.Dense(1, name="a")(inputs),
                                 layers.Dense(1, name="b")(inputs)])
    model.compile("sgd", ["mse", "mse"])
    model.fit(np.ones((8, 4)), [np.ones((8, 1))] * 2, verbose=0)
    assert model.metrics_names == ["loss", "a_loss", "b_loss"]
    assert len(model.metrics_variables) == 6
    assert len(model.get_state_tree()["metrics_variables"]) > 0
