"""The same architecture has the same state_dict keys, whatever was built before it in the
process (issue 9, item 9): a notebook cell run twice, a twin model for load_state_dict."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import layers


def _functional():
    inputs = keras.Input((4,))
    hidden = layers.Dense(3, activation="relu")(inputs)
    return keras.Model(inputs, layers.Dense(1)(layers.BatchNormalization()(hidden)))


def _sequential():
    return keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"),
                             keras.Sequential([layers.Dense(2), layers.Dense(1)])])


@pytest.mark.parametrize("build", [_functional, _sequential])
def test_building_the_same_model_twice_gives_the_same_keys(build):
    first, second = build(), build()
    assert [layer.name for layer in first.layers] != [layer.name for layer in second.layers]
    assert list(first.state_dict()) == list(second.state_dict())
    second.load_state_dict(first.state_dict())  # strict: no missing or unexpected keys
    x = np.random.RandomState(0).rand(5, 4).astype("float32")
    np.testing.assert_array_equal(first.predict(x, verbose=0), second.predict(x, verbose=0))


def test_keys_are_positions_as_in_nn_sequential():
    model = _sequential()
    assert list(model.state_dict()) == [
        "0.kernel", "0.bias", "1.0.kernel", "1.0.bias", "1.1.kernel", "1.1.bias"]
    model.pop()
    model.add(layers.Dense(5))
    assert list(model.state_dict())[-2:] == ["1.kernel", "1.bias"]


def test_a_pt_file_keyed_by_layer_names_still_loads(tmp_path):
    # .pt files saved before keys were positional name layers (`dense_7.kernel`): same shapes
    # in the same order load by position.
    model = _sequential()
    old_style = {f"dense_{i}.{name.rsplit('.', 1)[1]}": value
                 for i, (name, value) in enumerate(model.state_dict().items())}
    torch.save(old_style, tmp_path / "old.pt")
    twin = _sequential()
    twin.load_weights(tmp_path / "old.pt")
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)
