"""lamina.utils.FeatureSpace against Keras's (numbers recorded by
tests/fixtures/feature_space/make_fixture.py), in the Keras example's workflow, through configs
and .keras files, and with the errors users meet."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import layers, models
from lamina.models import Model
from lamina.registry.serialization import deserialize_layer, serialize_layer
from lamina.utils.batched_dataset import Samples
from lamina.utils.feature_space import FeatureSpace
from lamina.utils.py_dataset import PyDataset

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "feature_space"
KERAS = json.loads((FIXTURES / "keras_feature_space.json").read_text())
FLOATS = ("plain", "scaled", "age", "income")


def _table(part):
    table = {name: np.array(values) for name, values in KERAS[part].items()}
    for name in FLOATS:
        table[name] = table[name].astype("float32")
    return table


TRAIN, TEST = _table("train"), _table("test")


# The three spaces of the fixture script, built with lamina.
def concat_space():
    return FeatureSpace(
        features={
            "plain": FeatureSpace.float(),
            "scaled": FeatureSpace.float_rescaled(scale=0.5, offset=-1.0),
            "age": FeatureSpace.float_normalized(),
            "income": FeatureSpace.float_discretized(num_bins=4),
            "rooms": FeatureSpace.integer_categorical(),
            "color": FeatureSpace.string_categorical(max_tokens=5),
            "city": FeatureSpace.string_hashed(num_bins=6),
            "zip": FeatureSpace.integer_hashed(num_bins=5),
        },
        crosses=[FeatureSpace.cross(("color", "rooms"), crossing_dim=8),
                 FeatureSpace.cross(("city", "zip"), crossing_dim=7)],
        output_mode="concat",
    )


def dict_space():
    return FeatureSpace(
        features={
            "age": "float_normalized",
            "income": FeatureSpace.float_discretized(num_bins=3, output_mode="int"),
            "rooms": FeatureSpace.integer_categorical(output_mode="int", num_oov_indices=2),
            "color": FeatureSpace.string_categorical(output_mode="int"),
            "city": "string_categorical",
            "zip": FeatureSpace.integer_hashed(num_bins=9, output_mode="int"),
        },
        crosses=[("color", "city"),
                 FeatureSpace.cross(("rooms", "zip"), crossing_dim=6, output_mode="int")],
        crossing_dim=10,
        output_mode="dict",
    )


def names_space():
    return FeatureSpace(
        features={"plain": "float", "scaled": "float_rescaled", "income": "float_discretized",
                  "city": "string_hashed", "zip": "integer_hashed",
                  "rooms": "integer_categorical"},
        hashing_dim=4, num_discretization_bins=5)


SPACES = {"concat": concat_space, "dict": dict_space, "names": names_space}


def _adapted(kind):
    space = SPACES[kind]()
    space.adapt(TRAIN)
    return space


def _assert_like_keras(got, expected):
    if "value" in expected:  # one tensor (concat mode)
        assert got.dtype == torch.float32
        np.testing.assert_allclose(got.numpy(), np.array(expected["value"]), atol=1e-5)
        return
    assert sorted(got) == sorted(expected)
    for name, want in expected.items():
        np.testing.assert_allclose(got[name].numpy(), np.array(want["value"]), atol=1e-5,
                                   err_msg=name)
        # Keras on JAX writes int32 ids (no 64-bit ints there); the kind is what must agree.
        assert got[name].dtype.is_floating_point == want["dtype"].startswith("float"), name


# ---------------------------------------------------------------------- Keras's numbers
@pytest.mark.parametrize("kind", sorted(SPACES))
def test_adapted_state_is_keras(kind):
    space = _adapted(kind)
    expected = KERAS["spaces"][kind]
    for name, vocabulary in expected["vocabularies"].items():
        assert space.preprocessors[name].get_vocabulary() == vocabulary
    for name, boundaries in expected["bin_boundaries"].items():
        np.testing.assert_allclose(space.preprocessors[name].bin_boundaries, boundaries,
                                   rtol=1e-6)


@pytest.mark.parametrize("kind", sorted(SPACES))
def test_encoded_batch_is_keras(kind):
    space = _adapted(kind)
    _assert_like_keras(space(TEST), KERAS["spaces"][kind]["test"])


@pytest.mark.parametrize("kind", sorted(SPACES))
def test_single_row_of_scalars_has_no_batch_axis_as_in_keras(kind):
    space = _adapted(kind)
    row = {name: values[3] for name, values in TEST.items()}
    _assert_like_keras(space(row), KERAS["spaces"][kind]["single_row"])


def test_a_feature_space_saved_by_keras_loads_and_encodes_the_same():
    space = models.load_model(FIXTURES / "keras_feature_space.keras")
    assert isinstance(space, FeatureSpace)
    _assert_like_keras(space(TEST), KERAS["spaces"]["concat"]["test"])


# ---------------------------------------------------------------------- adapt's inputs
class _Batches(PyDataset):
    def __init__(self, table, batch_size):
        super().__init__()
        self.table, self.batch_size = table, batch_size

    def __len__(self):
        return -(-len(self.table["age"]) // self.batch_size)

    def __getitem__(self, index):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return {name: values[rows] for name, values in self.table.items()}


def _rows(table):
    return [{name: values[i] for name, values in table.items()}
            for i in range(len(table["age"]))]


def _labelled_dataset(table, labels, batch_size=32):
    def sample(i):
        return {name: values[i] for name, values in table.items()}, labels[i]
    return Samples(len(labels), sample).batch(batch_size)


@pytest.mark.parametrize("source", ["batched_dataset", "py_dataset", "rows", "dataframe",
                                    "tensors"])
def test_every_kind_of_data_adapts_to_the_same_state(source):
    if source == "batched_dataset":  # the Keras example's `ds.map(lambda x, y: x)`
        data = _labelled_dataset(TRAIN, np.zeros(70)).map(lambda x, y: x)
    elif source == "py_dataset":
        data = _Batches(TRAIN, 32)
    elif source == "rows":  # unbatched rows: adapted in batches of 32, as Keras does
        data = _rows(TRAIN)
    elif source == "dataframe":
        pandas = pytest.importorskip("pandas")
        data = pandas.DataFrame(TRAIN)
    else:
        data = {name: torch.as_tensor(values) if values.dtype.kind != "U" else list(values)
                for name, values in TRAIN.items()}
    space = concat_space()
    space.adapt(data)
    _assert_like_keras(space(TEST), KERAS["spaces"]["concat"]["test"])


def test_a_space_with_nothing_to_learn_needs_no_adapt():
    space = FeatureSpace({"plain": "float", "zip": FeatureSpace.integer_hashed(5)})
    out = space({"plain": [1.5, 2.0], "zip": [10001, 10002]})
    assert out.shape == (2, 6)
    np.testing.assert_allclose(out[:, 0].numpy(), [1.5, 2.0])  # sorted names: plain, zip


def test_fixed_bin_boundaries_need_no_adapt():
    space = FeatureSpace({"x": FeatureSpace.float_discretized(None, bin_boundaries=[0.0, 1.0])})
    out = space({"x": [-0.5, 0.5, 2.0]})  # bins: x < 0, 0 <= x < 1, 1 <= x
    np.testing.assert_array_equal(out.numpy(), np.eye(3))
    with pytest.raises(ValueError, match=r"2 `bin_boundaries` make 3 bins, but num_bins=5"):
        FeatureSpace.float_discretized(5, bin_boundaries=[0.0, 1.0])


def test_column_names_torch_refuses_as_module_names_work(tmp_path):
    table = {"sepal.length": np.array([5.1, 4.9, 6.3], "float32"),
             "species": np.array(["setosa", "setosa", "virginica"])}
    space = FeatureSpace({"sepal.length": "float_normalized", "species": "string_categorical"},
                         crosses=[("species", "species")], crossing_dim=3)
    space.adapt(table)
    out = space(table)
    mean, std = table["sepal.length"].mean(), table["sepal.length"].std()
    np.testing.assert_allclose(out[:, 0].numpy(), (table["sepal.length"] - mean) / std,
                               rtol=1e-5)
    assert list(space.preprocessors) == ["sepal.length", "species"]
    space.save(tmp_path / "iris.keras")
    assert torch.equal(models.load_model(tmp_path / "iris.keras")(table), out)


# ---------------------------------------------------------------------- symbolic use
def test_inputs_and_encoded_features_are_symbolic():
    space = _adapted("concat")
    inputs = space.get_inputs()
    assert list(inputs) == list(space.features)
    assert inputs["color"].dtype == "string" and inputs["age"].shape == (None, 1)
    encoded = space.get_encoded_features()
    assert encoded.shape == (None, len(KERAS["spaces"]["concat"]["test"]["value"][0]))
    assert space.get_encoded_features() is encoded  # made once

    dict_encoded = _adapted("dict").get_encoded_features()
    expected = KERAS["spaces"]["dict"]["test"]
    assert sorted(dict_encoded) == sorted(expected)
    for name, want in expected.items():
        assert dict_encoded[name].shape == (None, len(want["value"][0])), name
        assert dict_encoded[name].dtype.startswith("float") == want["dtype"].startswith("float")


# ---------------------------------------------------------------------- the Keras example
def _heart_like_table(rows, seed):
    rng = np.random.default_rng(seed)
    table = {
        "age": rng.normal(54.0, 9.0, rows).astype("float32"),
        "sex": rng.integers(0, 2, rows),
        "thal": rng.choice(["fixed", "normal", "reversible"], rows),
        "chol": rng.normal(240.0, 50.0, rows).astype("float32"),
        "ca": rng.integers(0, 4, rows),
    }
    labels = ((table["thal"] != "normal") & (table["ca"] > 0)).astype("float32")
    return table, labels


def test_the_keras_example_program_trains_and_serves_raw_rows():
    train, train_labels = _heart_like_table(240, seed=0)
    train_ds = _labelled_dataset(train, train_labels)
    space = FeatureSpace(
        features={"age": "float_discretized", "sex": "integer_categorical",
                  "thal": "string_categorical", "chol": "float_normalized",
                  "ca": "integer_categorical"},
        crosses=[FeatureSpace.cross(("sex", "age"), crossing_dim=16),
                 FeatureSpace.cross(("thal", "ca"), crossing_dim=16)],
        output_mode="concat")
    space.adapt(train_ds.map(lambda x, y: x))
    preprocessed_ds = train_ds.map(lambda x, y: (space(x), y))

    inputs = space.get_inputs()
    encoded = space.get_encoded_features()
    hidden = layers.Dense(16, activation="relu")(encoded)
    outputs = layers.Dense(1, activation="sigmoid")(hidden)
    training_model = Model(inputs=encoded, outputs=outputs)
    training_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = training_model.fit(preprocessed_ds, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8

    inference_model = Model(inputs=inputs, outputs=outputs)
    test, _ = _heart_like_table(5, seed=1)
    served = inference_model.predict(test, verbose=0)
    direct = training_model.predict(space(test).numpy(), verbose=0)
    np.testing.assert_allclose(served, direct, atol=1e-6)
    one_row = {name: values[:1] for name, values in test.items()}  # Keras's `predict(input_dict)`
    np.testing.assert_allclose(inference_model.predict(one_row, verbose=0), direct[:1], atol=1e-6)


# ---------------------------------------------------------------------- configs and files
def test_config_round_trip():
    space = _adapted("dict")
    config = space.get_config()
    assert FeatureSpace.from_config(json.loads(json.dumps(config))).get_config() == config
    clone = deserialize_layer(json.loads(json.dumps(serialize_layer(space))))
    clone.set_weights(space.get_weights())  # the normalization statistics live in weights
    for name, value in clone(TEST).items():
        assert torch.equal(value, space(TEST)[name]), name


def test_a_config_names_the_keras_classes():
    config = serialize_layer(_adapted("concat"))
    assert config["class_name"] == "FeatureSpace" and config["module"] == "keras.utils"
    feature = config["config"]["features"]["plain"]
    assert (feature["class_name"], feature["config"]["preprocessor"]["class_name"]) == \
        ("Feature", "TFDIdentity")
    assert config["config"]["crosses"][0]["config"]["feature_names"] == ["color", "rooms"]


def test_save_and_load_the_space_alone(tmp_path):
    space = _adapted("concat")
    space.save(tmp_path / "space.keras")
    loaded = models.load_model(tmp_path / "space.keras")
    assert torch.equal(loaded(TEST), space(TEST))


def test_a_model_holding_the_space_saves_and_loads(tmp_path):
    space = _adapted("concat")
    outputs = layers.Dense(2, activation="softmax")(space.get_encoded_features())
    model = Model(space.get_inputs(), outputs)
    expected = model.predict(TEST, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = models.load_model(tmp_path / "model.keras")
    assert any(isinstance(layer, FeatureSpace) for layer in loaded.layers)
    np.testing.assert_array_equal(loaded.predict(TEST, verbose=0), expected)


# ---------------------------------------------------------------------- errors
def test_unknown_feature_kind_says_the_kinds():
    with pytest.raises(ValueError, match=r"feature 'age': 'float_normalised'.*'float_normalized'"):
        FeatureSpace({"age": "float_normalised"})


def test_cross_of_an_unknown_feature_names_it():
    with pytest.raises(ValueError, match=r"unknown features \['colour'\]"):
        FeatureSpace({"color": "string_categorical"}, crosses=[("color", "colour")])


def test_bad_output_modes_name_the_choices():
    with pytest.raises(ValueError, match=r"'dict', 'concat'.*output_mode='vector'"):
        FeatureSpace({"age": "float"}, output_mode="vector")
    with pytest.raises(ValueError, match=r"'int', 'one_hot', 'float'.*output_mode='binary'"):
        FeatureSpace.integer_categorical(output_mode="binary")


def test_call_before_adapt_says_to_adapt():
    space = concat_space()
    with pytest.raises(ValueError, match=r"call `.adapt\(dataset\)`.*'age'"):
        space(TEST)
    with pytest.raises(ValueError, match=r"call `.adapt\(dataset\)`"):
        space.get_encoded_features()


def test_missing_key_at_call_names_it():
    space = _adapted("concat")
    data = {name: values for name, values in TEST.items() if name != "zip"}
    with pytest.raises(ValueError, match=r"lacks the features \['zip'\]"):
        space(data)
    with pytest.raises(ValueError, match="can only be called with a dict"):
        space(TEST["age"])


def test_adapt_errors_say_what_data_it_takes():
    space = concat_space()
    with pytest.raises(ValueError, match="dict of arrays or lists, a pandas DataFrame"):
        space.adapt(42)
    with pytest.raises(ValueError, match=r"lacks the features \['rooms'\]"):
        space.adapt({name: v for name, v in TRAIN.items() if name != "rooms"})
    with pytest.raises(ValueError, match=r"ds.map\(lambda x, y: x\)"):
        space.adapt([np.zeros(3)])


def test_unencoded_integers_cannot_be_concatenated():
    space = FeatureSpace({"rooms": FeatureSpace.integer_categorical(output_mode="int")})
    with pytest.raises(ValueError,
                       match=r"feature 'rooms' has not been encoded.*output_mode='dict'"):
        space.adapt({"rooms": [1, 2, 3]})
