"""Every kind of model survives `.keras` and legacy `.h5` (issue 4).

Sequential (with an Input, built from data, by `build()`, Keras 2 `input_shape=`), functional
models with list and dict inputs/outputs, nested Sequential and functional models, shared layers,
a registered custom layer and a registered subclassed model. Each is compiled, trained, saved and
loaded: predictions must be bit-identical, the config and compile config unchanged, and one more
training step must agree.
"""

import warnings

import numpy as np
import pytest
import torch

import lamina
from lamina import layers
from lamina.saving import register_keras_serializable


@register_keras_serializable(package="matrix")
class TwoTower(lamina.Model):
    """A subclassed model with constructor arguments, a nested layer list and get_config."""

    def __init__(self, width=4, depth=2, **kwargs):
        super().__init__(**kwargs)
        self.width, self.depth = width, depth
        self.blocks = [layers.Dense(width, activation="relu") for _ in range(depth)]
        self.norm = layers.LayerNormalization()
        self.head = layers.Dense(2)

    def call(self, inputs, training=False):
        x = inputs
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))

    def get_config(self):
        return {**super().get_config(), "width": self.width, "depth": self.depth}


@register_keras_serializable(package="matrix")
class ScaleAndShift(layers.Layer):
    """A custom layer with a weight and a constructor argument."""

    def __init__(self, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, x):
        return x * self.scale + self.offset

    def get_config(self):
        return {**super().get_config(), "offset": self.offset}


def _mlp(name=None):
    return lamina.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(3)], name=name)


def sequential_with_input():
    return lamina.Sequential([lamina.Input(shape=(5,)), layers.Dense(4, activation="relu"),
                              layers.BatchNormalization(), layers.Dense(3)]), _x(5)


def sequential_built_from_data():
    model = lamina.Sequential([layers.Dense(4, activation="relu"), layers.Dropout(0.1),
                               layers.Dense(3)])
    model(torch.zeros(1, 5))
    return model, _x(5)


def sequential_built_with_build():
    model = lamina.Sequential([layers.Dense(4, activation="relu"), layers.Dense(3)])
    model.build((None, 5))
    return model, _x(5)


def sequential_with_input_shape_argument():
    model = lamina.Sequential([layers.Dense(4, input_shape=(5,)), layers.Dense(3)])
    return model, _x(5)


def functional_lists():
    a, b = lamina.Input(shape=(5,), name="a"), lamina.Input(shape=(2, 3), name="b")
    joined = layers.Concatenate()([layers.Dense(4)(a), layers.Flatten()(b)])
    first = layers.Dense(3, name="first")(joined)
    second = layers.Dense(1, activation="sigmoid", name="second")(joined)
    return lamina.Model([a, b], [first, second]), [_x(5), _x(2, 3)]


def functional_dicts():
    a, b = lamina.Input(shape=(5,), name="a"), lamina.Input(shape=(3,), name="b")
    joined = layers.Add()([layers.Dense(3)(a), b])
    outputs = {"score": layers.Dense(1, name="score")(joined),
               "probs": layers.Dense(3, activation="softmax", name="probs")(joined)}
    return lamina.Model({"a": a, "b": b}, outputs), {"a": _x(5), "b": _x(3)}


def functional_custom_layer():
    inputs = lamina.Input(shape=(5,))
    return lamina.Model(inputs, layers.Dense(3)(ScaleAndShift(offset=0.5)(inputs))), _x(5)


def nested_sequential():
    inputs = lamina.Input(shape=(5,))
    hidden = _mlp(name="inner")(layers.Dense(6)(inputs))
    return lamina.Model(inputs, layers.Dense(3)(hidden)), _x(5)


def nested_functional():
    inner_in = lamina.Input(shape=(4,))
    inner = lamina.Model(inner_in, layers.Dense(3, activation="relu")(inner_in), name="inner")
    inputs = lamina.Input(shape=(5,))
    return lamina.Model(inputs, inner(layers.Dense(4)(inputs))), _x(5)


def shared_layers():
    a, b = lamina.Input(shape=(5,)), lamina.Input(shape=(5,))
    shared = layers.Dense(3, activation="tanh", name="shared")
    shared_model = _mlp(name="shared_mlp")
    merged = layers.Subtract()([shared(a), shared(b)])
    twice = layers.Add()([shared_model(a), shared_model(b)])
    return lamina.Model([a, b], layers.Concatenate()([merged, twice])), [_x(5), _x(5, seed=2)]


def subclassed():
    model = TwoTower(width=4, depth=3)
    model(torch.zeros(1, 5))
    return model, _x(5)


MODEL_KINDS = {
    "sequential_with_input": sequential_with_input,
    "sequential_built_from_data": sequential_built_from_data,
    "sequential_built_with_build": sequential_built_with_build,
    "sequential_input_shape_argument": sequential_with_input_shape_argument,
    "functional_lists": functional_lists,
    "functional_dicts": functional_dicts,
    "functional_custom_layer": functional_custom_layer,
    "nested_sequential": nested_sequential,
    "nested_functional": nested_functional,
    "shared_layers": shared_layers,
    "subclassed": subclassed,
}


def _x(*shape, seed=1):
    return np.random.RandomState(seed).uniform(-1, 1, size=(4,) + shape).astype("float32")


def _targets(model, x):
    outputs = model(x)
    if isinstance(outputs, dict):
        return {k: np.ones(tuple(v.shape), "float32") * 0.5 for k, v in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        return [np.ones(tuple(v.shape), "float32") * 0.5 for v in outputs]
    return np.ones(tuple(outputs.shape), "float32") * 0.5


def _flat(outputs):
    if isinstance(outputs, dict):
        return [outputs[k] for k in sorted(outputs)]
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _predict(model, x):
    with torch.no_grad():
        return [o.detach().cpu().numpy() for o in _flat(model(x, training=False))]


def _make(kind):
    builder = MODEL_KINDS[kind]
    with warnings.catch_warnings():
        # Keras warns that `input_shape=` on a layer is discouraged; whether lamina does is
        # not what this test checks.
        warnings.simplefilter("ignore", UserWarning)
        return builder()


@pytest.mark.parametrize("extension", [".keras", ".h5"])
@pytest.mark.parametrize("kind", list(MODEL_KINDS))
def test_model_kind_round_trip(kind, extension, tmp_path):
    model, x = _make(kind)
    rng = np.random.RandomState(0)
    model.set_weights([rng.uniform(0.1, 0.9, w.shape).astype(w.dtype)
                       for w in model.get_weights()])
    outputs = len(getattr(model, "outputs", None) or [None])
    metrics = ["mae"] if outputs == 1 else [["mae"]] * outputs  # (Keras 3: one list per output)
    model.compile(optimizer=lamina.optimizers.Adam(0.01), loss="mse", metrics=metrics)
    y = _targets(model, x)
    model.fit(x, y, epochs=1, batch_size=2, verbose=0, shuffle=False)

    path = tmp_path / f"model{extension}"
    model.save(path)
    loaded = lamina.models.load_model(path)

    assert type(loaded) is type(model)
    for a, b in zip(_predict(model, x), _predict(loaded, x)):
        np.testing.assert_array_equal(a, b)
    assert loaded.get_config() == model.get_config()
    expected_compile = model.get_compile_config()
    if extension == ".h5":
        # Legacy files spell short loss aliases in full (Keras 3.15 cannot compile "mse" from
        # an .h5 file, keras-team/keras#19330): the same function under its full name.
        expected_compile["loss"] = "mean_squared_error"
    assert loaded.get_compile_config() == expected_compile
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
    assert len(loaded.layers) == len(model.layers)

    # Training adds no state of its own to the weights: a never-trained twin takes them.
    model.save_weights(tmp_path / "trained.pt")
    twin, _ = _make(kind)
    twin.load_weights(tmp_path / "trained.pt")
    for a, b in zip(_predict(model, x), _predict(twin, x)):
        np.testing.assert_array_equal(a, b)

    # The optimizer state came along: one more identical step on both gives identical weights.
    for trained in (model, loaded):
        lamina.utils.set_random_seed(7)  # the same dropout masks for both
        trained.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind", list(MODEL_KINDS))
def test_model_kind_weights_only_formats(kind, tmp_path):
    """`.weights.h5` and `.pt` into a second, identically built model."""
    model, x = _make(kind)
    rng = np.random.RandomState(0)
    model.set_weights([rng.uniform(0.1, 0.9, w.shape).astype(w.dtype)
                       for w in model.get_weights()])
    for filename in ("w.weights.h5", "w.pt"):
        fresh, _ = _make(kind)
        model.save_weights(tmp_path / filename)
        fresh.load_weights(tmp_path / filename)
        for a, b in zip(_predict(model, x), _predict(fresh, x)):
            np.testing.assert_array_equal(a, b)


def test_shared_layer_is_saved_once_and_stays_shared(tmp_path):
    model, x = shared_layers()
    model.save(tmp_path / "shared.keras")
    loaded = lamina.models.load_model(tmp_path / "shared.keras")
    shared = loaded.get_layer("shared")
    assert len(shared._inbound_nodes) == 2
    assert len(loaded.weights) == len(model.weights)
    with torch.no_grad():
        shared.kernel.add_(1.0)  # one variable behind both calls
    a, b = x
    changed = _predict(loaded, [a, a])[0]
    np.testing.assert_array_equal(changed[:, :3], np.zeros_like(changed[:, :3]))


def test_subclassed_model_keeps_its_arguments(tmp_path):
    model, _ = subclassed()
    model.save(tmp_path / "sub.keras")
    loaded = lamina.models.load_model(tmp_path / "sub.keras")
    assert (loaded.width, loaded.depth) == (4, 3)
    assert len(loaded.blocks) == 3


def test_unregistered_subclassed_model_names_the_fix(tmp_path):
    class Unregistered(lamina.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Unregistered()
    model(torch.zeros(1, 3))
    model.save(tmp_path / "unregistered.keras")
    with pytest.raises(ValueError, match="Unregistered.*register_keras_serializable"):
        lamina.models.load_model(tmp_path / "unregistered.keras")
    loaded = lamina.models.load_model(tmp_path / "unregistered.keras",
                                      custom_objects={"Unregistered": Unregistered})
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
