"""ExportArchive on PyTorch: Keras's workflow (track, add_endpoint, write_out) writing one
torch.export program per endpoint, checked by reloading the files with plain torch."""

import json

import numpy as np
import pytest
import torch

from lamina import KerasTensor, layers, models
from lamina.export import ExportArchive


def float_input(*shape):
    return KerasTensor((None, *shape), "float32")


@pytest.fixture
def model():
    return models.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"),
                              layers.Dropout(0.5), layers.Dense(2)])


def load(path):
    return torch.export.load(str(path)).module()


def test_endpoints_reload_with_plain_torch_and_keep_a_dynamic_batch(model, tmp_path):
    archive = ExportArchive()
    archive.track(model)
    traced = archive.add_endpoint("serve", model.call, input_signature=[float_input(3)])
    archive.write_out(tmp_path / "archive", verbose=False)
    x = torch.randn(7, 3)
    expected = model(x)
    torch.testing.assert_close(traced(x), expected)
    torch.testing.assert_close(load(tmp_path / "archive" / "serve.pt2")(x), expected)
    assert load(tmp_path / "archive" / "serve.pt2")(torch.randn(1, 3)).shape == (1, 2)


def test_an_inference_and_a_training_endpoint(tmp_path):
    """Keras's example: the same model served with dropout off and on."""
    model = models.Sequential([layers.Input((3,)), layers.Dense(64), layers.Dropout(0.5)])
    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint("call_inference", lambda x: model(x, training=False),
                         input_signature=[float_input(3)])
    archive.add_endpoint("call_training", lambda x: model(x, training=True),
                         input_signature=[float_input(3)])
    archive.write_out(tmp_path, verbose=False)
    x = torch.randn(32, 3)
    inference = load(tmp_path / "call_inference.pt2")(x)
    torch.testing.assert_close(inference, model(x))
    # Dropout at rate 0.5 zeroes each unit or doubles it.
    training = load(tmp_path / "call_training.pt2")(x)
    dropped = training == 0
    torch.testing.assert_close(training[~dropped], 2 * inference[~dropped])
    assert 0.3 < dropped.float().mean() < 0.7


def test_track_and_add_endpoint_infers_the_signature_of_a_model(tmp_path):
    first, second = layers.Input((3,), name="a"), layers.Input((2,), name="b")
    model = models.Model([first, second], layers.Concatenate()([first, second]))
    archive = ExportArchive()
    archive.track_and_add_endpoint("serve", model)
    archive.write_out(tmp_path, verbose=False)
    a, b = torch.randn(4, 3), torch.randn(4, 2)
    torch.testing.assert_close(load(tmp_path / "serve.pt2")([a, b]), torch.cat([a, b], -1))
    manifest = json.loads((tmp_path / "endpoints.json").read_text())
    assert manifest["default"] == "serve"
    assert manifest["endpoints"]["serve"]["inputs"] == [[
        {"shape": [None, 3], "dtype": "float32", "name": "a"},
        {"shape": [None, 2], "dtype": "float32", "name": "b"}]]


def test_dict_and_example_array_signatures(tmp_path):
    scale = layers.Dense(1, use_bias=False)
    scale.build((None, 2))
    archive = ExportArchive()
    archive.track(scale)
    archive.add_endpoint("combine", lambda d, y: scale(d["x"]) + y,
                         input_signature=[{"x": float_input(2)}, np.zeros((5, 1), "float32")])
    archive.write_out(tmp_path, verbose=False)
    x, y = torch.randn(3, 2), torch.randn(3, 1)
    torch.testing.assert_close(load(tmp_path / "combine.pt2")({"x": x}, y), scale(x) + y)


def test_the_default_endpoint_is_serving_default_when_there_is_one(model, tmp_path):
    archive = ExportArchive()
    archive.add_endpoint("first", model.call, [float_input(3)])
    archive.add_endpoint("serving_default", model.call, [float_input(3)])
    archive.write_out(tmp_path, verbose=False)
    assert json.loads((tmp_path / "endpoints.json").read_text())["default"] == "serving_default"


def test_variables_and_variable_collections(model, tmp_path):
    archive = ExportArchive()
    archive.track(model)
    archive.track(model)  # tracking twice changes nothing
    assert [v is w for v, w in zip(archive.variables, model.weights)] == [True] * 4
    model.layers[0].trainable = False
    assert len(archive.trainable_variables) == 2 and len(archive.non_trainable_variables) == 2
    archive.add_endpoint("serve", model.call, [float_input(3)])
    archive.add_variable_collection("weights", model.weights)
    archive.add_variable_collection("extra", (torch.ones(2),))
    archive.write_out(tmp_path, verbose=False)
    saved = torch.load(tmp_path / "weights.pt", weights_only=True)
    assert list(saved) == [v.path for v in model.weights]
    for value, variable in zip(saved.values(), model.weights):
        torch.testing.assert_close(value, variable.detach())
    assert list(torch.load(tmp_path / "extra.pt", weights_only=True)) == ["variable_0"]


def test_tracing_leaves_the_model_in_its_mode_and_write_out_prints_the_endpoints(
        model, tmp_path, capsys):
    model.train()
    archive = ExportArchive()
    archive.add_endpoint("serve", model.call, [float_input(3)])
    assert all(module.training for module in model.modules())
    archive.write_out(tmp_path)
    assert "Endpoint 'serve' (serve.pt2), inputs: input: float32 (None, 3)" in \
        capsys.readouterr().out


def test_errors_say_what_to_do(model, tmp_path):
    with pytest.raises(ValueError, match="needs TensorFlow"):
        ExportArchive(format="saved_model")
    archive = ExportArchive()
    with pytest.raises(ValueError, match="No endpoints"):
        archive.write_out(tmp_path)
    with pytest.raises(ValueError, match="input_signature"):
        archive.add_endpoint("serve", lambda x: model(x))
    with pytest.raises(ValueError, match=r"archive.track\(model\)"):
        archive.add_endpoint("serve", lambda x: model(x), [float_input(3)])
    archive.add_endpoint("serve", model.call, [float_input(3)])
    with pytest.raises(ValueError, match="already taken"):
        archive.add_endpoint("serve", model.call, [float_input(3)])
    with pytest.raises(ValueError, match="identifiers"):
        archive.add_endpoint("my endpoint", model.call, [float_input(3)])
    with pytest.raises(ValueError, match="jax2tf_kwargs"):
        archive.add_endpoint("other", model.call, [float_input(3)], jax2tf_kwargs={})
    with pytest.raises(ValueError, match="SaveOptions"):
        archive.write_out(tmp_path, options=object())
    with pytest.raises(ValueError, match="not built"):
        archive.track(layers.Dense(2))
    with pytest.raises(ValueError, match="torch.nn.Module"):
        archive.track("model")
    with pytest.raises(ValueError, match="list, tuple or set"):
        archive.add_variable_collection("weights", model.weights[0])
    with pytest.raises(ValueError, match=r"\['str'\]"):
        archive.add_variable_collection("weights", ["kernel"])
