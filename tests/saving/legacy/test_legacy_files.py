"""Legacy .h5 files written by Keras 3, Keras 2 (tf_keras) and by hand in Keras 1's layout load
in lamina and predict what the writer predicted (fixtures/make_fixtures.py, fixtures/README.md)."""

import pathlib
import warnings

import h5py
import numpy as np
import pytest

import lamina

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
ALL = ["keras3_functional", "keras3_sequential", "keras2_functional", "keras2_sequential",
       "keras2_sequential_legacy_adam", "keras1_sequential", "keras1_functional"]


def expected(name):
    data = np.load(FIXTURES / f"{name}.npz")
    x = data["x"] if "x" in data else [data["x0"], data["x1"]]
    y = [data["y"]] if "y" in data else [data["y0"], data["y1"]]
    return x, y, int(data["iterations"])


def assert_predicts(model, name):
    x, y, _ = expected(name)
    got = model.predict(x, verbose=0)
    got = got if isinstance(got, list) else [got]
    assert len(got) == len(y)
    for a, b in zip(got, y):
        assert a.shape == b.shape
        assert np.abs(a - b).max() <= 1e-5


@pytest.mark.parametrize("name", ALL)
def test_legacy_file_loads_and_predicts_like_the_writer(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeprecationWarning from legacy spellings escapes
        model = lamina.models.load_model(FIXTURES / f"{name}.h5")
    assert_predicts(model, name)


@pytest.mark.parametrize("name", ["keras3_functional", "keras3_sequential", "keras2_functional",
                                  "keras2_sequential", "keras2_sequential_legacy_adam"])
def test_compile_state_and_optimizer_step_are_restored(name):
    model = lamina.models.load_model(FIXTURES / f"{name}.h5")
    _, _, iterations = expected(name)
    assert model.compiled
    assert int(model.optimizer.iterations) == iterations


def test_keras2_adam_config_and_metrics_are_translated():
    # "Custom>Adam" with jit_compile / is_legacy_optimizer keys; per-output metric wrappers.
    model = lamina.models.load_model(FIXTURES / "keras2_functional.h5")
    assert type(model.optimizer).__name__ == "Adam"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    config = model.get_compile_config()
    assert config["loss_weights"] == [1.0, 0.5]
    x, _, _ = expected("keras2_functional")
    y = [np.eye(3)[[0, 1, 2, 0, 1]], np.random.rand(5, 3, 1)]
    history = model.fit(x, y, epochs=1, verbose=0)
    assert {"loss", "left_loss", "right_loss"} <= set(history.history)


def test_keras1_optimizer_lr_and_list_config():
    model = lamina.models.load_model(FIXTURES / "keras1_sequential.h5")
    assert type(model).__name__ == "Sequential"
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dropout", "Dense", "Activation"]
    assert model.layers[1].rate == 0.5
    assert type(model.optimizer).__name__ == "SGD"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)


def test_adam_moments_follow_their_variables():
    # Keras 2.11+ stores (m, v) per variable without the learning rate; TF's legacy Adam stores
    # all "m" slots, then all "v" slots. Both must land on the right lamina slot.
    for name, pattern in (("keras2_sequential", "Adam/{slot}/{layer}/kernel:0"),
                          ("keras2_sequential_legacy_adam", "Adam/{layer}/kernel/{slot}:0")):
        path = FIXTURES / f"{name}.h5"
        model = lamina.models.load_model(path)
        with h5py.File(path, "r") as f:
            layer = f["model_weights"].attrs["layer_names"][0]
            layer = layer.decode() if isinstance(layer, bytes) else layer
            group = f["optimizer_weights"]
            m = group[pattern.format(slot="m", layer=layer)][()]
            v = group[pattern.format(slot="v", layer=layer)][()]
        names = model.optimizer.variable_names
        values = dict(zip(names, (t.detach().numpy() for t in model.optimizer.variables)))
        kernel = model.layers[0].kernel.path.replace("/", "_")
        np.testing.assert_array_equal(values[f"{model.optimizer.name}/{kernel}_momentum"], m)
        np.testing.assert_array_equal(values[f"{model.optimizer.name}/{kernel}_velocity"], v)


def test_compile_false_leaves_the_model_uncompiled():
    model = lamina.models.load_model(FIXTURES / "keras2_sequential.h5", compile=False)
    assert not model.compiled
    assert_predicts(model, "keras2_sequential")


def test_keras2_lambda_needs_safe_mode_off():
    with pytest.raises(ValueError, match="safe_mode=False"):
        lamina.models.load_model(FIXTURES / "keras2_lambda.h5")
    model = lamina.models.load_model(FIXTURES / "keras2_lambda.h5", safe_mode=False)
    assert_predicts(model, "keras2_lambda")
    assert type(model.optimizer).__name__ == "SGD"  # from "Custom>SGD"


def test_keras2_weights_only_file_loads_positionally():
    reference = lamina.models.load_model(FIXTURES / "keras2_functional.h5", compile=False)
    fresh = lamina.models.clone_model(reference)
    assert not all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), reference.get_weights()))
    fresh.load_weights(FIXTURES / "keras2_functional_weights.h5")
    for a, b in zip(fresh.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras2_weights_only_file_loads_by_name_into_a_different_model():
    # Only "hidden" and "logits" exist here, under the names the file uses.
    tokens = lamina.Input((5,), dtype="int32")
    x = lamina.layers.Flatten()(lamina.layers.Embedding(12, 3, name="other_emb")(tokens))
    x = lamina.layers.Dense(6, activation="relu", name="hidden")(x)
    model = lamina.Model(tokens, lamina.layers.Dense(3, name="logits")(x))
    before = model.get_layer("other_emb").get_weights()[0].copy()
    model.load_weights(FIXTURES / "keras2_functional_weights.h5", by_name=True)
    reference = lamina.models.load_model(FIXTURES / "keras2_functional.h5", compile=False)
    for name in ("hidden", "logits"):
        for a, b in zip(model.get_layer(name).get_weights(), reference.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.get_layer("other_emb").get_weights()[0], before)
