import numpy as np
import pytest
import torch

import lamina
from lamina import layers


def two_hidden_layer_classifier():
    """The functional classifier of the Keras functional-API guide."""
    inputs = lamina.Input(shape=(784,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    return lamina.Model(inputs=inputs, outputs=outputs, name="mnist_model")


def test_functional_model_shapes_and_layers():
    model = two_hidden_layer_classifier()
    assert isinstance(model, lamina.Model) and isinstance(model, lamina.models.Functional)
    assert model.output_shape == (None, 10)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense", "Dense"]
    assert model.count_params() == 784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10
    assert model(torch.ones(2, 784)).shape == (2, 10)


def test_shape_error_names_layer_and_suggests_flatten():
    model = two_hidden_layer_classifier()
    with pytest.raises(ValueError, match=r'layer "dense".*expected axis -1.*784.*\(32, 28, 28\).*Flatten'):
        model(torch.ones(32, 28, 28))


def test_multi_input_multi_output_lists_and_dicts():
    title = lamina.Input(shape=(5,), name="title")
    body = lamina.Input(shape=(3,), name="body")
    merged = lamina.ops.concatenate([layers.Dense(4)(title), layers.Dense(4)(body)], axis=-1)
    priority = layers.Dense(1, name="priority")(merged)
    department = layers.Dense(2, name="department")(merged)
    model = lamina.Model([title, body], [priority, department])
    out = model([np.ones((2, 5)), np.ones((2, 3))])
    assert [o.shape for o in out] == [(2, 1), (2, 2)]
    by_name = model({"title": np.ones((2, 5)), "body": np.ones((2, 3))})
    torch.testing.assert_close(by_name[1], out[1])
    dict_model = lamina.Model({"title": title, "body": body},
                              {"priority": priority, "department": department})
    out = dict_model({"title": np.ones((2, 5)), "body": np.ones((2, 3))})
    assert set(out) == {"priority", "department"}
    with pytest.raises(ValueError, match="missing"):
        dict_model({"title": np.ones((2, 5))})


def test_shared_layer_uses_the_same_weights():
    shared = layers.Dense(3)
    a, b = lamina.Input(shape=(4,)), lamina.Input(shape=(4,))
    model = lamina.Model([a, b], [shared(a), shared(b)])
    assert len(model.weights) == 2
    x = torch.randn(2, 4)
    out_a, out_b = model([x, x])
    torch.testing.assert_close(out_a, out_b)


def test_model_used_as_a_layer_in_another_model():
    inner = two_hidden_layer_classifier()
    inputs = lamina.Input(shape=(784,))
    outputs = layers.Activation("softmax")(inner(inputs))
    outer = lamina.Model(inputs, outputs)
    assert outer.output_shape == (None, 10)
    probabilities = outer(torch.randn(3, 784))
    torch.testing.assert_close(probabilities.sum(-1), torch.ones(3))
    assert len(outer.weights) == len(inner.weights)


def test_graph_disconnected_error():
    a, b = lamina.Input(shape=(2,)), lamina.Input(shape=(2,))
    out = layers.Dense(1)(lamina.ops.add(a, b))
    with pytest.raises(ValueError, match="Graph disconnected"):
        lamina.Model(a, out)


def test_legacy_input_output_keywords_warn():
    x = lamina.Input(shape=(2,))
    with pytest.warns(DeprecationWarning, match="Keras 1/2 spelling"):
        model = lamina.Model(input=x, output=layers.Dense(1)(x))
    assert model.output_shape == (None, 1)


def test_functional_config_round_trip_with_shared_and_multi_io():
    a, b = lamina.Input(shape=(4,), name="a"), lamina.Input(shape=(4,), name="b")
    shared = layers.Dense(3, name="shared")
    out1 = layers.Dense(2, name="out1")(shared(a))
    out2 = layers.Dense(1, name="out2")(shared(b))
    model = lamina.Model([a, b], [out1, out2])
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["out1", 0, 0], ["out2", 0, 0]]
    shared_entry = next(e for e in config["layers"] if e["name"] == "shared")
    assert len(shared_entry["inbound_nodes"]) == 2
    assert shared_entry["inbound_nodes"][1]["args"][0]["config"]["keras_history"] == ["b", 0, 0]
    clone = lamina.Model.from_config(config)
    clone.set_weights(model.get_weights())
    x = [np.random.rand(2, 4).astype("float32"), np.random.rand(2, 4).astype("float32")]
    for got, want in zip(clone.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_functional_reads_keras2_list_nodes():
    config = {
        "name": "legacy", "trainable": True,
        "layers": [
            {"class_name": "InputLayer", "name": "input_1",
             "config": {"batch_input_shape": [None, 3], "dtype": "float32", "name": "input_1"},
             "inbound_nodes": []},
            {"class_name": "Dense", "name": "dense_9",
             "config": {"name": "dense_9", "units": 2, "activation": "relu"},
             "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        ],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_9", 0, 0]],
    }
    model = lamina.Model.from_config(config)
    assert model.output_shape == (None, 2)


def test_summary_shows_connections_unless_the_graph_is_a_chain():
    lines = []
    two_hidden_layer_classifier().summary(print_fn=lines.append)
    text = "\n".join(lines)  # (a chain, listed as Keras lists a Sequential)
    assert "Connected to" not in text and "input_layer" in text and "dense_1" in text
    x = lamina.Input(shape=(4,))
    branched = lamina.Model(x, layers.Add()([layers.Dense(2)(x), layers.Dense(2)(x)]))
    lines.clear()
    branched.summary(print_fn=lines.append)
    assert "Connected to" in lines[0]


def test_summary_expand_nested_shows_inner_layers():
    inner = lamina.Sequential([lamina.Input(shape=(4,)), layers.Dense(3, name="inner_dense")],
                              name="inner_seq")
    x = lamina.Input(shape=(4,))
    model = lamina.Model(x, inner(layers.Dense(4)(x)))
    collapsed, expanded = [], []
    model.summary(print_fn=collapsed.append)
    model.summary(print_fn=expanded.append, expand_nested=True)
    assert "inner_seq (Sequential)" in "\n".join(collapsed)
    assert "inner_dense" not in "\n".join(collapsed)
    assert "inner_dense (Dense)" in "\n".join(expanded)
    assert "Total params: 35" in "\n".join(expanded)


def test_subclassed_layer_shapes_leave_the_batch_open():
    dense = layers.Dense(3)
    dense(torch.ones(2, 5))
    assert dense.input_shape == (None, 5) and dense.output_shape == (None, 3)


def test_clone_model_with_clone_and_call_functions():
    inputs = lamina.Input(shape=(4,), name="x")
    shared = layers.Dense(4, name="shared")
    hidden = shared(inputs)
    model = lamina.Model(inputs, [layers.Dense(1, name="a")(hidden), shared(shared(inputs))])
    clone = lamina.models.clone_model(model)
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert len(clone.weights) == len(model.weights)
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])  # fresh weights

    seen = []

    def rename(layer):
        copy = type(layer).from_config({**layer.get_config(), "name": layer.name + "_copy"})
        seen.append(layer.name)
        return copy

    calls = []

    def record(layer, *args, **kwargs):
        calls.append(layer.name)
        return layer(*args, **kwargs)

    renamed = lamina.models.clone_model(model, clone_function=rename, call_function=record)
    assert sorted(seen) == ["a", "shared"]  # the shared layer is cloned once
    assert calls.count("shared_copy") == 3
    assert renamed.output_shape == [(None, 1), (None, 4)]
    x = np.random.rand(2, 4).astype("float32")
    renamed.set_weights(model.get_weights())
    for got, want in zip(renamed.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want, rtol=1e-6)

    seq = lamina.Sequential([lamina.Input(shape=(2,)), layers.Dense(2), layers.Dense(1)])
    new_input = lamina.Input(shape=(2,))
    cloned = lamina.models.clone_model(seq, input_tensors=new_input)
    assert cloned.output_shape == (None, 1) and cloned.inputs[0] is new_input


def test_ops_on_symbolic_tensors_are_operations_not_layers():
    """As in Keras 3: `model.layers` lists layers only; `x * 2` or `ops.concatenate` on
    KerasTensors are graph operations (`model._operations`), still saved in the config."""
    inputs = lamina.Input((3,))
    hidden = layers.Dense(4, name="hidden")(inputs)
    joined = lamina.ops.concatenate([hidden * 2.0, hidden[:, :1]], axis=-1)
    model = lamina.Model(inputs, layers.Dense(1, name="out")(joined))
    assert [layer.name for layer in model.layers] == [inputs._keras_history[0].name, "hidden",
                                                      "out"]
    assert model.layers[-1].name == "out" and model.get_layer(index=2).name == "out"
    assert len(model._operations) == 6  # input, hidden, multiply, get_item, concatenate, out
    clone = lamina.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.random.RandomState(0).rand(2, 3).astype("float32")
    np.testing.assert_allclose(clone(x).detach().numpy(), model(x).detach().numpy())
    assert len(clone._operations) == 6


def test_dict_outputs_and_inputs_follow_sorted_names_as_in_keras():
    # Keras 3.15.1 printed: output_names ['department', 'priority']; layers ['input_layer',
    # 'department', 'priority']; weight shapes [(3, 4), (4,), (3, 1), (1,)]; inputs in the
    # order ['alpha', 'zeta'] (its tree flattens a dict by sorted key).
    inputs = lamina.Input((3,), name="zeta")
    priority = layers.Dense(1, name="priority")(inputs)
    department = layers.Dense(4, name="department")(inputs)
    model = lamina.Model(inputs, {"priority": priority, "department": department})
    assert model.output_names == ["department", "priority"]
    assert [layer.name for layer in model.layers] == ["zeta", "department", "priority"]
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (3, 1), (1,)]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 4), (None, 1)]
    alpha = lamina.Input((2,), name="alpha")
    two = lamina.Model({"zeta": inputs, "alpha": alpha},
                       layers.Concatenate()([inputs, alpha]))
    assert [t.name for t in two.inputs] == ["alpha", "zeta"]
    out = two.predict({"zeta": np.ones((2, 3)), "alpha": np.zeros((2, 2))}, verbose=0)
    np.testing.assert_array_equal(out, [[1, 1, 1, 0, 0]] * 2)  # concatenated as written
