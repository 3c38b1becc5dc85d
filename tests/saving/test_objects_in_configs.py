"""A custom layer whose get_config() returns the objects it holds (layers, a regularizer
object), as keras-io's serialization guide writes one: Keras serializes them inside the
config, so `Model.from_config` and `.keras` files work. (Found by running the guide.)"""

import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.saving import register_keras_serializable, serialize_keras_object


@register_keras_serializable(package="ConfigObjects")
class Pair(layers.Layer):
    def __init__(self, first, second=None, **kwargs):
        super().__init__(**kwargs)
        self.first = first
        self.second = second if second is not None else layers.Dense(3, name="second_dense")

    def get_config(self):
        config = super().get_config()
        config.update({"first": self.first, "second": self.second})  # objects, not dicts
        return config

    @classmethod
    def from_config(cls, config):
        config["first"] = layers.deserialize(config["first"])
        config["second"] = layers.deserialize(config["second"])
        return cls(**config)

    def call(self, x):
        return self.first(self.second(x))


def _model():
    inputs = keras.Input((4,))
    first = layers.Dense(2, kernel_regularizer=keras.regularizers.L1L2(l1=1e-5, l2=1e-4))
    return keras.Model(inputs, Pair(first, name="pair")(inputs))


def test_objects_returned_by_get_config_are_serialized_inside_the_config():
    config = serialize_keras_object(_model().get_layer("pair"))["config"]
    assert config["first"]["class_name"] == "Dense"
    assert config["first"]["config"]["kernel_regularizer"]["class_name"] == "L1L2"
    assert config["second"]["config"]["name"] == "second_dense"
    keras.Model.from_config(_model().get_config())  # Keras's guide: this failed before


def test_such_a_model_round_trips_through_a_keras_file(tmp_path):
    model = _model()
    x = np.random.RandomState(0).rand(5, 4).astype("float32")
    model.save(tmp_path / "pair.keras")
    loaded = keras.saving.load_model(tmp_path / "pair.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    regularizer = loaded.get_layer("pair").first.kernel_regularizer
    assert regularizer.get_config() == pytest.approx({"l1": 1e-5, "l2": 1e-4})
