"""Files written by real Keras 3 load in lamina and predict the same (fixtures/make_fixtures.py)."""

import pathlib

import numpy as np
import pytest

import lamina

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def inputs_and_outputs(name):
    data = np.load(FIXTURES / f"{name}.npz")
    x = data["x"] if "x" in data else [data["x0"], data["x1"]]
    y = data["y"] if "y" in data else [data[k] for k in sorted(data.files) if k.startswith("y")]
    return x, y, int(data["iterations"])


@pytest.mark.parametrize("name", ["sequential_mlp", "functional_multi_io", "layer_families",
                                  "ops_graph"])
def test_keras_saved_model_loads_and_predicts_the_same(name):
    x, expected, iterations = inputs_and_outputs(name)
    model = lamina.models.load_model(FIXTURES / f"{name}.keras")
    got = model.predict(x, verbose=0)
    for a, b in zip(got if isinstance(got, list) else [got], expected if isinstance(expected, list) else [expected]):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert model.compiled and int(model.optimizer.iterations) == iterations


def test_keras_compile_state_is_restored():
    model = lamina.models.load_model(FIXTURES / "functional_multi_io.keras")
    assert type(model.optimizer).__name__ == "SGD" and model.optimizer.momentum == pytest.approx(0.9)
    assert model.get_compile_config()["loss_weights"] == [1.0, 0.5]
    x, _, _ = inputs_and_outputs("functional_multi_io")
    y = [np.eye(3)[[0, 1, 2, 0, 1]], np.random.rand(5, 3, 1)]
    history = model.fit(x, y, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "left_loss", "right_loss"}


def test_keras_weights_file_loads_into_the_same_architecture():
    reference = lamina.models.load_model(FIXTURES / "sequential_mlp.keras", compile=False)
    fresh = lamina.models.clone_model(reference)
    fresh.load_weights(FIXTURES / "sequential_mlp.weights.h5")
    for a, b in zip(fresh.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras_lookup_vocabularies_come_from_the_archive_assets(tmp_path):
    """Keras keeps adapted vocabularies in assets/, not in the config: they must be read."""
    data = np.load(FIXTURES / "lookup_layers.npz")
    model = lamina.models.load_model(FIXTURES / "lookup_layers.keras")
    ids, sequences, tf_idf = model.predict(data["texts"], verbose=0)
    np.testing.assert_array_equal(ids, data["ids"])
    np.testing.assert_array_equal(sequences, data["sequences"])
    np.testing.assert_allclose(tf_idf, data["tf_idf"], rtol=1e-6)
    model.save(tmp_path / "again.keras")  # and lamina writes them back in the same layout
    import zipfile

    with zipfile.ZipFile(tmp_path / "again.keras") as archive:
        assert "assets/layers/string_lookup/vocabulary.txt" in archive.namelist()
    again = lamina.models.load_model(tmp_path / "again.keras")
    np.testing.assert_array_equal(again.predict(data["texts"], verbose=0)[0], data["ids"])
