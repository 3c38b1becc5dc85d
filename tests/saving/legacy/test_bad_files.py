"""Files that are not legacy Keras models fail with an error naming the file and the problem."""

import h5py
import numpy as np
import pytest

import lamina


def small_model():
    return lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)])


def test_weights_only_file_given_to_load_model(tmp_path):
    path = tmp_path / "weights.h5"
    small_model().save_weights(path)
    with pytest.raises(ValueError, match=r"weights\.h5.*only weights.*no `model_config`.*load_weights"):
        lamina.models.load_model(path)


def test_hdf5_file_without_a_model(tmp_path):
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("table", data=np.arange(4))
    with pytest.raises(ValueError, match=r"data\.h5.*not a saved Keras model.*no `model_config`"):
        lamina.models.load_model(path)
    with pytest.raises(ValueError, match=r"data\.h5.*holds no Keras weights.*layer_names"):
        small_model().load_weights(path)


def test_keras3_weights_layout_under_an_h5_name(tmp_path):
    model = small_model()
    model.save_weights(tmp_path / "w.weights.h5")
    (tmp_path / "w.weights.h5").rename(tmp_path / "w.h5")
    with pytest.raises(ValueError, match=r"Keras 3's layout.*\.weights\.h5"):
        model.load_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match=r"Keras 3's layout"):
        lamina.models.load_model(tmp_path / "w.h5")


def test_truncated_file(tmp_path):
    path = tmp_path / "model.h5"
    lamina.Sequential([lamina.Input((30,)), lamina.layers.Dense(200)]).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"model\.h5.*(damaged|truncated)"):
        lamina.models.load_model(path)


def test_not_an_hdf5_file(tmp_path):
    path = tmp_path / "model.h5"
    path.write_bytes(b"this is not hdf5 at all")
    with pytest.raises(ValueError, match=r"model\.h5.*not an HDF5 file.*truncated, corrupted"):
        lamina.models.load_model(path)
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        lamina.models.load_model(empty)


def test_corrupted_model_config(tmp_path):
    path = tmp_path / "model.h5"
    small_model().save(path)
    with h5py.File(path, "a") as f:
        f.attrs["model_config"] = '{"class_name": "Sequential", "config": {'
    with pytest.raises(ValueError, match=r"model\.h5.*corrupted `model_config`"):
        lamina.models.load_model(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        lamina.models.load_model("nope.h5")


def test_unsupported_keras2_layer_is_named(tmp_path):
    path = tmp_path / "model.h5"
    small_model().save(path)
    config = ('{"class_name": "Functional", "config": {"name": "m", "layers": [{"class_name": '
              '"TFOpLambda", "name": "tf.math.add", "inbound_nodes": [], "config": {"name": '
              '"tf.math.add", "function": "math.add"}}], "input_layers": [], "output_layers": []}}')
    with h5py.File(path, "a") as f:
        f.attrs["model_config"] = config
    with pytest.raises(ValueError, match=r"tf\.math\.add.*TFOpLambda.*TensorFlow"):
        lamina.models.load_model(path)
