"""Outputs that come straight from a nested functional model: Keras's config counts that
model's construction node in `output_layers` (`["base", 1, 0]` for its first call), not in
`inbound_nodes`. A Keras-written file must load (it raised LookupError), and lamina's files
must say the same so Keras reads the right call."""

import json
import os
import zipfile

import numpy as np

import lamina as keras

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "nested_functional",
                       "twice_called_base")


def twice_called_base():
    base_input = keras.Input((4,), name="base_input")
    base = keras.Model(base_input, keras.layers.Dense(3, name="inner")(base_input), name="base")
    inputs = keras.Input((4,), name="x")
    first = base(inputs)
    second = base(keras.layers.Dense(4, name="widen")(first))
    return keras.Model(inputs, [first, second], name="outer")


def test_a_keras_file_with_outputs_of_a_twice_called_nested_model_loads():
    expected = np.load(FIXTURE + ".npz")
    model = keras.models.load_model(FIXTURE + ".keras")
    first, second = model.predict(expected["x"], verbose=0)
    np.testing.assert_allclose(first, expected["first"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(second, expected["second"], rtol=1e-5, atol=1e-6)


def test_output_layers_are_written_as_keras_writes_them_and_read_back(tmp_path):
    model = twice_called_base()
    keras_config = json.loads(zipfile.ZipFile(FIXTURE + ".keras").read("config.json"))
    assert model.get_config()["output_layers"] == keras_config["config"]["output_layers"] == [
        ["base", 1, 0], ["base", 2, 0]]
    # inbound nodes count only this model's calls (the second call of base is its node 1)
    widen = next(layer for layer in model.get_config()["layers"] if layer["name"] == "widen")
    assert widen["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == ["base", 0, 0]
    x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    for a, b in zip(model.predict(x, verbose=0), again.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    rebuilt = keras.Model.from_config(model.get_config())
    assert [t.shape for t in rebuilt.outputs] == [t.shape for t in model.outputs]


def test_an_older_lamina_config_with_node_zero_still_loads():
    config = twice_called_base().get_config()
    config["output_layers"] = [["base", 0, 0], ["base", 1, 0]]  # written before 2026-12-06
    rebuilt = keras.Model.from_config(config)
    assert len(rebuilt.outputs) == 2
