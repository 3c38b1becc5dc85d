"""keras.legacy.saving / keras.utils.legacy: Keras 2's single-object config format. The
expected values were recorded from Keras 3.15's keras.legacy.saving on the same objects."""

import pytest

import lamina
from lamina import layers
from lamina.legacy.saving import deserialize_keras_object, serialize_keras_object


def test_serialize_writes_the_keras_2_format():
    config = serialize_keras_object(layers.Dense(3, activation="relu", name="d",
                                                 kernel_initializer="ones"))
    assert set(config) == {"class_name", "config"} and config["class_name"] == "Dense"
    assert config["config"]["activation"] == "relu"  # functions by name
    # get_config() already nests Keras 3 dicts, which the legacy serializer keeps as they are
    assert config["config"]["kernel_initializer"] == {
        "module": "keras.initializers", "class_name": "Ones", "config": {},
        "registered_name": None}
    assert serialize_keras_object(lamina.activations.relu) == "relu"
    assert serialize_keras_object(None) is None
    with pytest.raises(ValueError, match="no get_config"):
        serialize_keras_object(object())


def test_round_trip_and_keras_1_arguments():
    dense = layers.Dense(3, activation="relu", kernel_initializer="ones", name="d")
    again = deserialize_keras_object(serialize_keras_object(dense))
    assert type(again) is layers.Dense and again.get_config() == dense.get_config()
    old = deserialize_keras_object({"class_name": "Dense",
                                    "config": {"output_dim": 4, "init": "zero"}})
    assert old.units == 4 and type(old.kernel_initializer).__name__ == "Zeros"


def test_lookups_and_errors():
    class Mine(layers.Layer):
        pass

    assert deserialize_keras_object({"class_name": "Mine", "config": {}},
                                    module_objects={"Mine": Mine}).__class__ is Mine
    assert deserialize_keras_object("relu") is lamina.activations.relu
    with pytest.raises(ValueError, match="Unknown layer: 'Nope'"):
        deserialize_keras_object("Nope", printable_module_name="layer")
    with pytest.raises(ValueError, match="class_name"):
        deserialize_keras_object({"config": {}})
    assert lamina.utils.legacy.serialize_keras_object is serialize_keras_object


def test_objects_inside_a_config_are_marked_passive_and_restored():
    class Holder:
        def __init__(self, init):
            self.init = init

        def get_config(self):
            return {"init": self.init}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    serialized = serialize_keras_object(Holder(lamina.initializers.Ones()))
    assert serialized["config"]["init"] == {"class_name": "Ones", "config": {},
                                            "__passive_serialization__": True}
    restored = deserialize_keras_object(serialized, custom_objects={"Holder": Holder})
    assert isinstance(restored.init, lamina.initializers.Ones)
