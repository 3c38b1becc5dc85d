import numpy as np
import pytest
import torch

import lamina
from lamina import layers


def pima_model():
    return lamina.Sequential([
        lamina.Input(shape=(8,)),
        layers.Dense(12, activation="relu"),
        layers.Dense(8, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def test_sequential_with_input_knows_shapes_before_data():
    model = pima_model()
    assert model.output_shape == (None, 1)
    assert model.input_shape == (None, 8)
    assert [layer.output_shape for layer in model.layers] == [(None, 12), (None, 8), (None, 1)]
    assert model.count_params() == 8 * 12 + 12 + 12 * 8 + 8 + 8 + 1
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "dense_2"]


def test_add_and_input_shape_on_first_layer():
    model = lamina.Sequential()
    model.add(layers.Dense(4, input_shape=(3,)))
    model.add(layers.Dense(2))
    assert model.output_shape == (None, 2)
    assert len(model.weights) == 4


def test_input_dim_is_a_legacy_spelling_that_warns():
    model = lamina.Sequential()
    with pytest.warns(DeprecationWarning, match="input_shape"):
        model.add(layers.Dense(12, input_dim=8, activation="relu"))
    assert model.input_shape == (None, 8)


def test_deferred_build_on_first_call():
    model = lamina.Sequential([layers.Dense(4), layers.Dense(1)])
    assert not model.built
    out = model(np.ones((5, 3), dtype="float32"))
    assert out.shape == (5, 1)
    assert model.input_shape == (None, 3) and model.output_shape == (None, 1)


def test_pop_removes_last_layer_and_updates_output():
    model = pima_model()
    model.pop()
    assert model.output_shape == (None, 8)
    assert len(model.layers) == 2
    assert len(list(model.parameters())) == 4


def test_forward_matches_manual_computation():
    model = pima_model()
    x = np.random.RandomState(0).randn(4, 8).astype("float32")
    w = model.get_weights()
    h = np.maximum(x @ w[0] + w[1], 0)
    h = np.maximum(h @ w[2] + w[3], 0)
    expected = 1 / (1 + np.exp(-(h @ w[4] + w[5])))
    np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_get_layer_by_name_and_index():
    model = pima_model()
    assert model.get_layer("dense_1") is model.layers[1]
    assert model.get_layer(index=-1) is model.layers[2]
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")


def test_duplicate_layer_names_are_refused():
    model = lamina.Sequential([layers.Dense(2, name="a")])
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(2, name="a"))


def test_config_round_trip_rebuilds_same_architecture():
    model = pima_model()
    clone = lamina.Sequential.from_config(model.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == ["Dense"] * 3
    assert clone.output_shape == (None, 1)
    clone.set_weights(model.get_weights())
    x = np.random.rand(3, 8).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert clone.get_config()["layers"][1]["config"] == model.get_config()["layers"][1]["config"]


def test_json_round_trip_and_clone_model():
    model = pima_model()
    rebuilt = lamina.models.model_from_json(model.to_json())
    assert isinstance(rebuilt, lamina.Sequential) and rebuilt.count_params() == model.count_params()
    clone = lamina.models.clone_model(model)
    assert clone.count_params() == model.count_params()
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])  # fresh weights


def test_summary_lists_layers_shapes_and_param_counts():
    lines = []
    pima_model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "sequential"' in text
    assert "dense (Dense)" in text and "(None, 12)" in text and "108" in text
    assert "Total params: 221" in text
    assert "Trainable params: 221" in text and "Non-trainable params: 0" in text


def test_model_is_a_torch_module():
    model = pima_model()
    assert isinstance(model, torch.nn.Module)
    keys = list(model.state_dict())
    assert keys == ["0.kernel", "0.bias", "1.kernel", "1.bias", "2.kernel", "2.bias"]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = model(torch.ones(2, 8)).sum()
    loss.backward()
    optimizer.step()


def test_sequential_rejects_non_layers():
    with pytest.raises(TypeError, match="takes a layer"):
        lamina.Sequential([lambda x: x])


@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_torch_compile_runs_a_lamina_model():
    model = pima_model()
    compiled = torch.compile(model)
    x = torch.randn(4, 8)
    torch.testing.assert_close(compiled(x), model(x))


def test_a_model_with_its_own_input_first_builds_the_stack_at_once(tmp_path):
    # The transfer-learning guide's `Sequential([base_model, Dense(3)])`: built, with the base's
    # input shape, before any data (Keras: built, count_params 63); saved and loaded back.
    base = lamina.Sequential([lamina.Input((8,)), lamina.layers.Dense(5)], name="base")
    model = lamina.Sequential([base, lamina.layers.Dense(3)])
    assert model.built and model.count_params() == 8 * 5 + 5 + 5 * 3 + 3
    assert model.input_shape == (None, 8) and model.output_shape == (None, 3)
    model.save(tmp_path / "m.keras")
    again = lamina.models.load_model(tmp_path / "m.keras")
    x = np.ones((2, 8), "float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))
