"""Pipeline: layers applied in order, with Keras's config, weight-file layout and training
semantics (Keras's values recorded by tests/fixtures/keras_api_more/make_fixtures.py)."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina import layers

FIXTURES = pathlib.Path(__file__).parents[2] / "fixtures" / "keras_api_more"
KERAS = np.load(FIXTURES / "keras_api_more.npz")
CONFIGS = json.loads((FIXTURES / "keras_api_more.json").read_text())


def _without_names(config):
    """Layer names depend on how many layers a session made before: compare the rest."""
    if isinstance(config, dict):
        return {k: _without_names(v) for k, v in config.items() if k != "name"}
    if isinstance(config, list):
        return [_without_names(item) for item in config]
    return config


def test_output_and_config_match_keras():
    pipeline = layers.Pipeline([layers.Rescaling(2.0, offset=1.0), layers.CenterCrop(2, 3)],
                               name="prep")
    np.testing.assert_allclose(pipeline(KERAS["pipeline/images"]), KERAS["pipeline/output"],
                               rtol=1e-6)
    config = pipeline.get_config()
    assert config["name"] == "prep"
    for layer_config in config["layers"]:
        layer_config.pop("build_config", None)  # lamina's layers were called: they are built
    assert _without_names(config) == _without_names(CONFIGS["pipeline/config"])


def test_from_keras_config():
    pipeline = layers.Pipeline.from_config(CONFIGS["pipeline/config"])
    assert [type(layer).__name__ for layer in pipeline.layers] == ["Rescaling", "CenterCrop"]
    np.testing.assert_allclose(pipeline(KERAS["pipeline/images"]), KERAS["pipeline/output"],
                               rtol=1e-6)
    with pytest.raises(ValueError, match="list of serialized layers"):
        layers.Pipeline.from_config({"name": "p"})


def test_symbolic_model_weights_file_layout_is_keras(tmp_path):
    h5py = pytest.importorskip("h5py")
    inputs = lamina.Input((3,))
    pipeline = layers.Pipeline([layers.Rescaling(2.0), layers.Dense(2)])
    outputs = pipeline(inputs)
    assert outputs.shape == (None, 2)
    model = lamina.Model(inputs, outputs)
    assert len(model.weights) == 2
    model.save_weights(tmp_path / "p.weights.h5")
    with h5py.File(tmp_path / "p.weights.h5") as f:  # the paths Keras 3.15 writes
        assert "layers/pipeline/layers/dense/vars/1" in f
        assert "layers/pipeline/layers/rescaling/vars" in f
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    kernel, bias = (w.detach().numpy() for w in pipeline.layers[1].weights)
    np.testing.assert_allclose(model.predict(x, verbose=0), (2 * x) @ kernel + bias, rtol=1e-5)


def test_training_follows_keras():
    flip = layers.RandomFlip("horizontal", seed=3)
    pipeline = layers.Pipeline([flip])
    images = torch.arange(2 * 4 * 4 * 1, dtype=torch.float32).reshape(2, 4, 4, 1)
    assert torch.equal(pipeline(images, training=False), images)
    flipped = [not torch.equal(pipeline(images), images) for _ in range(8)]
    assert any(flipped)  # a standalone call augments, as Keras's `training=True` default
    model = lamina.Sequential([lamina.Input((4, 4, 1)), layers.Pipeline([flip])])
    np.testing.assert_array_equal(model.predict(images.numpy(), verbose=0), images.numpy())
    # model(x) augments too, as in Keras 3: nothing above the Pipeline sets `training`
    assert any(not torch.equal(model(images), images) for _ in range(8))


def test_masks_flow_from_layer_to_layer():
    tokens = np.array([[3, 1, 0, 0]])
    pipeline = layers.Pipeline([layers.Embedding(5, 2, mask_zero=True),
                                layers.LSTM(3, return_sequences=True)])
    masked = pipeline(tokens)
    # LSTM with a mask copies the last valid state over the padded steps.
    assert torch.allclose(masked[0, 2], masked[0, 1]) and torch.allclose(masked[0, 3],
                                                                         masked[0, 1])


def test_bad_layers_argument():
    with pytest.raises(ValueError, match="list of lamina layer instances"):
        layers.Pipeline(layers.Dense(2))
