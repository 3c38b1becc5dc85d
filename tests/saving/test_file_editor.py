"""KerasFileEditor on files written by real Keras 3 (tests/fixtures/file_editor/make_fixtures.py):
what it reads equals what Keras's own editor reports, its edits give files that load into the
edited architecture with the expected weights, and the same edits made by Keras give the same file.
"""

import json
import os
import pathlib
import sys

import h5py
import numpy as np
import pytest
import torch

from lamina import layers, models
from lamina.saving import keras_archive
from lamina.saving.file_editor import KerasFileEditor

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "file_editor"
ANSWERS = json.loads((FIXTURES / "keras_answers.json").read_text())
ARRAYS = np.load(FIXTURES / "keras_arrays.npz")
IDENTITY, BIAS = np.eye(3, dtype="float32"), np.array([0.5, -0.25, 1.0], dtype="float32")


def structure(tree):
    return {key: structure(value) if isinstance(value, dict)
            else [list(np.shape(value)), str(np.asarray(value).dtype)]
            for key, value in tree.items()}


def flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = np.asarray(value)
    return out


def is_subtree(small, big):
    return all(key in big and (is_subtree(value, big[key]) if isinstance(value, dict)
                               else value == big[key]) for key, value in small.items())


def editor(name):
    return KerasFileEditor(FIXTURES / name)


def dense_chain(names, biases):
    model = models.Sequential([layers.Input((3,))])
    for name, use_bias in zip(names, biases):
        model.add(layers.Dense(3, use_bias=use_bias, name=name))
    return model


def insert_target():
    inputs = layers.Input((3,))
    x = layers.Dense(3, name="mydense")(inputs)
    x = layers.Dense(3, name="myotherdense")(x)
    return models.Model(inputs, layers.Dense(3, name="output_layer")(x))


def nested_model():
    return models.Sequential([
        layers.Input((4, 3)), layers.LSTM(2), layers.BatchNormalization(),
        models.Sequential([layers.Dense(2)], name="inner"),
    ], name="nested")


# ------------------------------------------------------------------------- reading


@pytest.mark.parametrize("name", ["source.keras", "three_dense.weights.h5", "trained.keras",
                                  "trained.weights.h5", "keras_insert.weights.h5",
                                  "keras_delete.weights.h5"])
def test_weights_dict_equals_what_keras_editor_reports(name):
    opened = editor(name)
    assert structure(opened.weights_dict) == ANSWERS["weights_dict"][name]
    for path, array in flat(opened.weights_dict).items():
        np.testing.assert_array_equal(array, ARRAYS[f"{name}:{path}"])
    assert is_subtree(ANSWERS["object_metadata"][name], opened.object_metadata)


def test_keras_archive_config_and_metadata_are_read():
    opened = editor("source.keras")
    assert opened.metadata == ANSWERS["metadata"]
    assert opened.config["class_name"] == "Functional"
    assert [layer["config"]["name"] for layer in opened.config["config"]["layers"]][1:] == [
        "mydense", "output_layer"]


def test_nested_objects_are_kept_where_keras_editor_drops_them(tmp_path):
    """Keras's editor skips an object whose own `vars` is empty, with its children (the LSTM's
    cell, a nested model): here they stay, and a resaved file still loads completely."""
    opened = editor("nested.weights.h5")
    keras_view = ANSWERS["weights_dict"]["nested.weights.h5"]
    assert set(keras_view["layers"]) == {"batch_normalization"}
    assert is_subtree(keras_view, structure(opened.weights_dict))
    with h5py.File(FIXTURES / "nested.weights.h5") as f:  # every dataset of the file is there
        stored = {}
        f.visititems(lambda name, obj: stored.update(
            {name.replace("/vars/", "/"): obj[()]} if isinstance(obj, h5py.Dataset) else {}))
    got = flat(opened.weights_dict)
    assert set(got) == set(stored) and len(got) == 9
    for path, array in stored.items():
        np.testing.assert_array_equal(got[path], array)
    opened.save(tmp_path / "nested.weights.h5")
    model = nested_model()
    model.load_weights(tmp_path / "nested.weights.h5")
    np.testing.assert_allclose(model.predict(ARRAYS["nested_x"], verbose=0), ARRAYS["nested_y"],
                               atol=1e-5)


def test_unzipped_keras_directory_opens(tmp_path):
    model = dense_chain(["a"], [True])
    keras_archive.save_model(model, tmp_path / "model.keras", zipped=False)
    opened = KerasFileEditor(tmp_path / "model.keras")
    np.testing.assert_array_equal(opened.weights_dict["layers"]["dense"]["0"],
                                  model.layers[0].kernel.detach().numpy())
    assert opened.metadata["keras_version"]


# ------------------------------------------------------------------------- editing and saving


def test_inserting_a_layer_keeps_the_source_outputs(tmp_path):
    """source: mydense -> output_layer. Target: mydense -> myotherdense -> output_layer; the file
    is edited so that myotherdense is an identity: the target then computes what source did."""
    opened, target = editor("source.keras"), insert_target()
    before = opened.compare(target)
    # (Keras's editor reports match_count 6 here: it adds each layer's running total again.)
    assert before == {"status": "error", "error_count": 1, "match_count": 4}
    assert before["error_count"] == ANSWERS["compare"]["insert_before"]["error_count"]
    opened.rename_object("layers/dense_1", "dense_2")
    opened.add_object("layers/dense_1", weights={"0": IDENTITY, "1": np.zeros(3, "float32")})
    after = opened.compare(target)
    assert after == {"status": "success", "error_count": 0, "match_count": 6}
    assert after["status"] == ANSWERS["compare"]["insert_after"]["status"]
    path = tmp_path / "edited.weights.h5"
    opened.save(path)
    assert_same_weights(path, FIXTURES / "keras_insert.weights.h5")
    target.load_weights(path)
    np.testing.assert_allclose(target.predict(ARRAYS["x"], verbose=0), ARRAYS["source_y"],
                               atol=1e-6)
    np.testing.assert_allclose(target.predict(ARRAYS["x"], verbose=0), ARRAYS["insert_y"],
                               atol=1e-6)


def test_deleting_and_adding_weights_fits_the_new_architecture(tmp_path):
    """three_dense (a: bias, b: bias, c: no bias) -> target (a: no bias, c: with a new bias)."""
    opened, target = editor("three_dense.weights.h5"), dense_chain(["a", "c"], [False, True])
    before = opened.compare(target)
    # Keras's editor says 3 here: it counts the first mismatch again when it moves on to the
    # next layer. The mismatches are two: a's bias, and the third layer.
    assert before == {"status": "error", "error_count": 2, "match_count": 3}
    assert ANSWERS["compare"]["delete_before"]["status"] == "error"
    opened.delete_weight("layers/dense", "1")
    opened.delete_object("dense_1")
    opened.rename_object("dense_2", "dense_1")
    opened.add_weights("dense_1", {"1": BIAS})
    assert opened.compare(target) == {"status": "success", "error_count": 0, "match_count": 3}
    path = tmp_path / "edited.weights.h5"
    opened.resave_weights(path)
    assert_same_weights(path, FIXTURES / "keras_delete.weights.h5")
    target.load_weights(path)
    source = "three_dense.weights.h5:layers/"
    expected = [ARRAYS[source + "dense/0"], ARRAYS[source + "dense_2/0"], BIAS]
    for variable, array in zip(target.get_weights(), expected, strict=True):
        np.testing.assert_array_equal(variable, array)
    np.testing.assert_allclose(target.predict(ARRAYS["x"], verbose=0), ARRAYS["delete_y"],
                               atol=1e-5)


def assert_same_weights(path, keras_path):
    mine, theirs = flat(KerasFileEditor(path).weights_dict), flat(
        KerasFileEditor(keras_path).weights_dict)
    assert set(mine) == set(theirs)
    for key in mine:
        np.testing.assert_array_equal(mine[key], theirs[key])
        assert mine[key].dtype == theirs[key].dtype
    with h5py.File(path) as f:  # Keras's layout on disk: <object>/vars/<index>
        assert "layers/dense/vars/0" in f


def test_compiled_model_compare_counts_optimizer_variables(tmp_path):
    model = models.load_model(FIXTURES / "trained.keras")
    opened = editor("trained.keras")
    assert opened.compare(model) == {"status": "success", "error_count": 0, "match_count": 8}
    opened.save(tmp_path / "again.weights.h5")
    again = KerasFileEditor(tmp_path / "again.weights.h5")
    assert structure(again.weights_dict) == ANSWERS["weights_dict"]["trained.keras"]


def test_added_weights_accept_tensors_and_integer_names(tmp_path):
    opened = editor("three_dense.weights.h5")
    opened.add_weights("layers/dense_2", {1: torch.ones(3)})
    opened.add_object("extra", {"0": [1.0, 2.0], "child": {"0": np.zeros((2, 2))}})
    opened.save(tmp_path / "x.weights.h5")
    with h5py.File(tmp_path / "x.weights.h5") as f:
        np.testing.assert_array_equal(f["layers/dense_2/vars/1"][()], np.ones(3, "float32"))
        np.testing.assert_array_equal(f["extra/vars/0"][()], [1.0, 2.0])
        assert f["extra/child/vars/0"].shape == (2, 2)


def test_failed_save_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "edited.weights.h5"
    path.write_bytes(b"previous")
    opened = editor("three_dense.weights.h5")

    def failing_replace(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        opened.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["edited.weights.h5"]  # no temporary left behind


# ------------------------------------------------------------------------- errors


def test_unknown_path_lists_the_nearest_existing_ones():
    opened = editor("three_dense.weights.h5")
    with pytest.raises(ValueError, match=r"Path 'layers/dens_3' not found.*'layers/dense"):
        opened.delete_object("layers/dens_3")
    with pytest.raises(ValueError, match=r"no object or weight named 'dense_7'.*'layers/dense"):
        opened.rename_object("dense_7", "x")
    with pytest.raises(ValueError, match=r"no object 'layer'.*\['layers'"):
        opened.add_object("layer/dense_9", {"0": np.zeros(2)})


def test_edit_errors_say_what_to_do():
    opened = editor("three_dense.weights.h5")
    with pytest.raises(ValueError, match=r"'0' occurs more than once.*full path"):
        opened.delete_object("0")
    with pytest.raises(ValueError, match="single name"):
        opened.rename_object("dense", "layers/dense_5")
    with pytest.raises(ValueError, match=r"already taken.*delete_object\('dense_1'\)"):
        opened.rename_object("dense", "dense_1")
    with pytest.raises(ValueError, match="already exists.*add_weights"):
        opened.add_object("layers/dense", {"0": np.zeros(2)})
    with pytest.raises(ValueError, match=r"Weight '7' not found.*Weights found: \['0', '1'\]"):
        opened.delete_weight("dense", "7")
    with pytest.raises(ValueError, match=r"`weights` must be a dict.*type\(weights\)=list"):
        opened.add_weights("dense", [np.zeros(2)])
    with pytest.raises(ValueError, match="is a weight, not an object"):
        opened.add_weights("layers/dense/0", {"0": np.zeros(2)})


def test_file_name_errors(tmp_path):
    with pytest.raises(ValueError, match=r"`.keras`.*`.weights.h5`.*filepath=model.h5"):
        KerasFileEditor("model.h5")
    with pytest.raises(FileNotFoundError, match="missing.weights.h5"):
        KerasFileEditor(tmp_path / "missing.weights.h5")
    (tmp_path / "bad.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not a readable HDF5"):
        KerasFileEditor(tmp_path / "bad.weights.h5")
    with pytest.raises(ValueError, match=r"ends in `.weights.h5`.*filepath=.*out.keras"):
        editor("source.keras").save(tmp_path / "out.keras")


def test_links_and_virtual_datasets_are_refused(tmp_path):
    victim = tmp_path / "victim.weights.h5"
    with h5py.File(victim, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.zeros(3))
    external, soft, virtual = (tmp_path / f"{n}.weights.h5" for n in ("ext", "soft", "virt"))
    with h5py.File(external, "w") as f:
        f["layers"] = h5py.ExternalLink(str(victim), "/layers")
    with h5py.File(soft, "w") as f:
        f.create_dataset("real/vars/0", data=np.zeros(1))
        f["layers"] = h5py.SoftLink("/real")
    with h5py.File(virtual, "w") as f:
        layout = h5py.VirtualLayout(shape=(3,), dtype="float64")
        layout[:] = h5py.VirtualSource(str(victim), "layers/dense/vars/0", shape=(3,))
        f.create_group("layers/dense/vars").create_virtual_dataset("0", layout)
    for path, kind in ((external, "ExternalLink"), (soft, "SoftLink"), (virtual, "virtual")):
        with pytest.raises(ValueError, match=kind):
            KerasFileEditor(path)


# ------------------------------------------------------------------------- printing


def test_summary_shows_the_tree_with_layer_names_and_shapes(capsys):
    opened = editor("source.keras")
    out = capsys.readouterr().out
    assert "source.keras" in out and "Saved with Keras 3.15.1" in out
    opened.summary()
    out = capsys.readouterr().out
    assert "├── dense ('mydense')" in out
    assert "└── dense_1 ('output_layer')" in out
    assert "1: shape=(3,), dtype=float32" in out
    assert "4 weights, 24 values in all" in out
    assert "[bold]" not in out


def test_plain_output_without_rich(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "rich.console", None)  # import fails: rich absent
    opened = editor("three_dense.weights.h5")
    assert opened._printer._console is None
    opened.weights_summary()
    result = opened.compare(dense_chain(["a"], [True]))
    out = capsys.readouterr().out
    assert "├── dense ('a')" in out and "0: shape=(3, 3), dtype=float32" in out
    assert "Object layers/dense_1 present in the saved file, missing from the reference" in out
    assert "Found 2 errors" in out and result["error_count"] == 2


# ------------------------------------------------------------------------- Keras reads it


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_keras_loads_the_file_lamina_edited(tmp_path, monkeypatch):
    if "KERAS_BACKEND" not in os.environ:
        monkeypatch.setenv("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    opened = editor("source.keras")
    opened.rename_object("layers/dense_1", "dense_2")
    opened.add_object("layers/dense_1", weights={"0": IDENTITY, "1": np.zeros(3, "float32")})
    opened.save(tmp_path / "edited.weights.h5")
    inputs = keras.Input((3,))
    x = keras.layers.Dense(3, name="mydense")(inputs)
    x = keras.layers.Dense(3, name="myotherdense")(x)
    target = keras.Model(inputs, keras.layers.Dense(3, name="output_layer")(x))
    target.load_weights(str(tmp_path / "edited.weights.h5"))
    np.testing.assert_allclose(np.asarray(target.predict(ARRAYS["x"], verbose=0)),
                               ARRAYS["source_y"], atol=1e-6)
