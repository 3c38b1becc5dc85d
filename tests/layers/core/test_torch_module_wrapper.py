"""TorchModuleWrapper and bare torch modules in Sequential (issue 10): values against the
modules themselves, train/eval mode, saving (state_dict keys, as Keras writes them; the fixture
was written by Keras 3 on its torch backend), and the safety of configs holding a pickle."""

import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina import layers

FIXTURES = pathlib.Path(__file__).parents[2] / "fixtures" / "torch_module_wrapper"


def _data(n=64, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    return x, (x.sum(axis=1) > 0).astype("float32")


def test_sequential_wraps_bare_torch_modules_and_computes_their_composition():
    torch.manual_seed(0)
    linear = torch.nn.Linear(4, 8)
    model = lamina.Sequential([lamina.Input((4,)), linear, torch.nn.ReLU(), layers.Dense(1)])
    assert [type(layer).__name__ for layer in model.layers] == [
        "TorchModuleWrapper", "TorchModuleWrapper", "Dense"]
    assert model.layers[0].module is linear
    assert model.count_params() == 4 * 8 + 8 + 8 + 1
    x, _ = _data(5)
    dense = model.layers[2]
    expected = torch.relu(linear(torch.from_numpy(x))) @ dense.kernel + dense.bias
    np.testing.assert_allclose(model.predict(x, verbose=0), expected.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_the_wrapped_parameters_train():
    torch.manual_seed(0)
    linear = torch.nn.Linear(4, 1)
    model = lamina.Sequential([lamina.Input((4,)), layers.TorchModuleWrapper(linear)])
    before = linear.weight.detach().clone()
    model.compile(optimizer="adam", loss="mse")
    x, y = _data()
    history = model.fit(x, y[:, None], epochs=5, verbose=0)
    assert not torch.equal(before, linear.weight.detach())
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert [tuple(w.shape) for w in model.trainable_weights] == [(1, 4), (1,)]


def test_functional_api_infers_shapes_on_the_meta_device():
    inputs = lamina.Input((3, 8, 8))
    conv = torch.nn.Conv2d(3, 4, 3)
    outputs = layers.TorchModuleWrapper(conv)(inputs)
    assert outputs.shape == (None, 4, 6, 6)
    model = lamina.Model(inputs, layers.Flatten()(outputs))
    x = np.random.default_rng(1).normal(size=(2, 3, 8, 8)).astype("float32")
    expected = conv(torch.from_numpy(x)).flatten(1).detach().numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_output_shape_argument_is_the_full_shape_as_in_keras():
    wrapper = layers.TorchModuleWrapper(torch.nn.Linear(4, 3), output_shape=(None, 3))
    assert wrapper(lamina.Input((4,))).shape == (None, 3)
    assert wrapper.compute_output_shape((None, 4)) == (None, 3)


def test_mode_follows_fit_and_predict():
    norm = torch.nn.BatchNorm1d(4)
    model = lamina.Sequential([lamina.Input((4,)), norm, torch.nn.Dropout(0.5), layers.Dense(1)])
    x, y = _data()
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, model.predict(x, verbose=0))  # eval: no dropout
    assert torch.equal(norm.running_mean, torch.zeros(4))  # predict does not update statistics
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y[:, None], epochs=1, batch_size=16, verbose=0)
    assert not torch.equal(norm.running_mean, torch.zeros(4))  # fit trains the module
    assert not norm.training  # and puts it back in eval mode


def test_subclassed_model_with_wrapped_modules():
    class Classifier(lamina.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.TorchModuleWrapper(torch.nn.Conv2d(1, 2, 3))
            self.fc = layers.TorchModuleWrapper(torch.nn.Linear(2 * 4 * 4, 3))

        def call(self, inputs):
            x = torch.relu(self.conv(inputs))
            return torch.softmax(self.fc(x.flatten(1)), dim=1)

    model = Classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(2).normal(size=(8, 1, 6, 6)).astype("float32")
    model.fit(x, np.arange(8) % 3, epochs=1, verbose=0)
    assert len(model.trainable_weights) == 4
    assert model.predict(x, verbose=0).shape == (8, 3)


def test_weights_file_stores_the_state_dict_under_its_keys(tmp_path):
    norm = torch.nn.BatchNorm1d(3)
    with torch.no_grad():
        norm.running_mean.fill_(2.0)
    model = lamina.Sequential([lamina.Input((4,)), torch.nn.Linear(4, 3), norm])
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = lamina.Sequential([lamina.Input((4,)), torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3)])
    fresh.load_weights(tmp_path / "w.weights.h5")
    x, _ = _data(4)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    assert torch.equal(fresh.layers[1].module.running_mean, torch.full((3,), 2.0))


def test_loads_a_weights_file_written_by_keras():
    reference = np.load(FIXTURES / "keras_wrapped.npz")
    inputs = lamina.Input((4,))
    x = layers.TorchModuleWrapper(torch.nn.Linear(4, 3))(inputs)
    x = layers.TorchModuleWrapper(torch.nn.BatchNorm1d(3))(x)
    model = lamina.Model(inputs, layers.Dense(2)(x))
    model.load_weights(FIXTURES / "keras_wrapped.weights.h5")
    np.testing.assert_allclose(model.predict(reference["x"], verbose=0), reference["y"],
                               rtol=1e-5, atol=1e-6)


def test_a_keras_file_holding_a_pickled_module_is_refused_in_safe_mode(tmp_path):
    model = lamina.Sequential([lamina.Input((4,)), torch.nn.Linear(4, 2)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="refused for safety.*safe_mode=False"):
        lamina.models.load_model(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras", safe_mode=False)
    x, _ = _data(3)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_clear_errors_for_what_cannot_be_wrapped():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        layers.TorchModuleWrapper("linear")
    with pytest.raises(ValueError, match="Call it once on an example input"):
        layers.TorchModuleWrapper(torch.nn.LazyLinear(3))
    with pytest.raises(TypeError, match="takes a layer"):
        lamina.Sequential([lamina.Input((4,)), "dense"])
