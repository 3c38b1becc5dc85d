"""Small Keras-compatibility fixes, each checked against what Keras 3.15 does.

Expected values come from Keras (tests/fixtures/keras_small_fixes/keras_facts.json and the two
`.keras` files there, written by make_fixtures.py in that folder with the Keras scratch venv).
"""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina import layers, ops

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "keras_small_fixes"
FACTS = json.loads((FIXTURES / "keras_facts.json").read_text())


@pytest.fixture
def policy():
    yield lamina.mixed_precision.set_global_policy
    lamina.mixed_precision.set_global_policy(None)


def _dtype(x):
    return str(x.dtype).replace("torch.", "")


# ------------------------------------------------ 1. float32 output layers of mixed models
@pytest.mark.parametrize("name", ["mixed_bfloat16", "mixed_float16"])
def test_float32_layer_inside_a_mixed_model_outputs_float32(policy, name):
    expected = FACTS["mixed_precision"][name]
    policy(name)
    sequential = lamina.Sequential([lamina.Input((4,)), layers.Dense(8, activation="relu"),
                                    layers.Dense(3), layers.Activation("softmax", dtype="float32")])
    inputs = lamina.Input((4,))
    hidden = layers.Dense(8)(inputs)
    functional = lamina.Model(inputs, [hidden, layers.Dense(3, dtype="float32")(hidden)])
    x = np.ones((2, 4), "float32")
    out = sequential(x)
    assert _dtype(out) == expected["sequential_output"]  # float32, as Keras
    torch.testing.assert_close(out.sum(-1), torch.ones(2))  # a real softmax, in float32
    assert [_dtype(t) for t in functional(x)] == expected["functional_outputs"]
    half = torch.ones(2, 4, dtype=getattr(torch, name[len("mixed_"):]))
    assert _dtype(layers.Dense(3, dtype="float32")(half)) == expected["direct_half_input"]
    assert [sequential.layers[0].compute_dtype, sequential.layers[-1].compute_dtype] == \
        expected["compute_dtype"]


def test_float32_output_layer_matches_a_float32_computation(policy):
    policy("mixed_bfloat16")
    lamina.utils.set_random_seed(0)
    inputs = lamina.Input((4,))
    hidden = layers.Dense(8, name="hidden")(inputs)
    model = lamina.Model(inputs, layers.Dense(3, dtype="float32", name="head")(hidden))
    x = torch.rand(5, 4)
    h = model.get_layer("hidden")(x)  # bfloat16
    head = model.get_layer("head")
    reference = h.float() @ head.kernel + head.bias  # the head in float32, with float32 inputs
    torch.testing.assert_close(model(x), reference)


def test_a_users_own_autocast_region_is_left_alone():
    # Only lamina's mixed-policy autocast is left by float32 layers: plain torch AMP still
    # works on (float32) lamina layers, as with Keras's torch backend.
    dense = layers.Dense(3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert dense(torch.ones(2, 4)).dtype == torch.bfloat16


def test_mixed_float16_training_with_float32_head_still_works(policy):
    policy("mixed_float16")
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(16, activation="relu"),
                               layers.Dense(1, dtype="float32")])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.RandomState(0).rand(32, 4).astype("float32")
    history = model.fit(x, x.sum(axis=1, keepdims=True), epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.predict(x[:2], verbose=0).dtype == np.float32


# ------------------------------------------------ 6. Layer.variable_dtype
def test_variable_dtype(policy):
    for name, expected in FACTS["mixed_precision"]["variable_dtype_of"].items():
        assert layers.Dense(3, dtype=name).variable_dtype == expected
    policy("mixed_bfloat16")
    dense = layers.Dense(3)
    assert [dense.variable_dtype, dense.compute_dtype] == \
        [FACTS["mixed_precision"]["mixed_bfloat16"]["variable_dtype"][0], "bfloat16"]
    dense.build((None, 4))
    assert _dtype(dense.kernel) == dense.variable_dtype


# ------------------------------------------------ 2. ops.cast in saved models
def test_cast_is_saved_as_keras_saves_it_and_reloads(tmp_path):
    inputs = lamina.Input((4,))
    model = lamina.Model(inputs, ops.cast(inputs * 2.0, "float16"))
    path = tmp_path / "cast.keras"
    model.save(path)
    layer = json.loads(__import__("zipfile").ZipFile(path).read("config.json"))["config"]["layers"][2]
    expected = FACTS["cast_config"]
    assert {k: layer[k] for k in ("module", "class_name", "registered_name")} == \
        {k: expected[k] for k in ("module", "class_name", "registered_name")}
    assert sorted(layer["config"]) == sorted(expected["config"])
    assert layer["config"]["dtype"] == expected["config"]["dtype"]
    x = np.arange(8, dtype="float32").reshape(2, 4) / 3
    out = lamina.models.load_model(path)(x)
    assert out.dtype == torch.float16
    torch.testing.assert_close(out, torch.from_numpy(x * 2).half())


def test_keras_file_with_cast_loads():
    data = np.load(FIXTURES / "cast_graph.npz")
    out = lamina.models.load_model(FIXTURES / "cast_graph.keras")(data["x"])
    assert out.dtype == torch.float16 and data["y"].dtype == np.float16
    np.testing.assert_array_equal(out.numpy(), data["y"])


# ------------------------------------------------ 3 and 7. clone_model
def test_clone_model_of_a_graph_with_ops():
    inputs = lamina.Input((4,))
    model = lamina.Model(inputs, ops.relu(inputs) * 2)
    clone = lamina.models.clone_model(model)
    x = np.array(FACTS["clone"]["ops_graph_input"], "float32")
    np.testing.assert_allclose(clone(x).numpy(), FACTS["clone"]["ops_graph_clone_output"])
    # Keras-style clone functions rebuild ops from their config too.
    seeded = lamina.models.clone_model(
        model, clone_function=lambda layer: layer.__class__.from_config(layer.get_config()))
    np.testing.assert_allclose(seeded(x).numpy(), FACTS["clone"]["ops_graph_clone_output"])


def test_op_layer_from_a_plain_dict_says_what_to_do():
    inputs = lamina.Input((4,))
    op_layer = ops.relu(inputs)._keras_history[0]
    with pytest.raises(ValueError, match="from_op_config"):
        type(op_layer).from_config(dict(op_layer.get_config()))


def test_clone_model_compiles_the_clone_like_keras():
    expected = FACTS["clone"]
    sequential = lamina.Sequential([lamina.Input((3,)), layers.Dense(2)])
    sequential.compile(lamina.optimizers.SGD(0.05), "mse", metrics=["mae"])
    clone = lamina.models.clone_model(sequential)
    assert clone.compiled == expected["sequential"]["compiled"]
    assert type(clone.optimizer).__name__ == expected["sequential"]["optimizer"]
    assert float(clone.optimizer.learning_rate) == pytest.approx(
        expected["sequential"]["learning_rate"])
    assert (clone.optimizer is sequential.optimizer) == expected["sequential"]["same_optimizer"]
    assert clone.loss == expected["sequential"]["loss"]
    assert clone.get_compile_config()["metrics"] == expected["sequential"]["metrics"]
    clone.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)  # trains its own weights

    inputs = lamina.Input((3,))
    functional = lamina.Model(inputs, layers.Dense(2)(inputs))
    functional.compile(lamina.optimizers.Adam(0.01), loss="mae")
    clone = lamina.models.clone_model(functional)
    assert [clone.compiled, type(clone.optimizer).__name__, clone.loss] == [
        expected["functional"][k] for k in ("compiled", "optimizer", "loss")]
    assert float(clone.optimizer.learning_rate) == pytest.approx(
        expected["functional"]["learning_rate"])

    uncompiled = lamina.models.clone_model(
        lamina.Sequential([lamina.Input((3,)), layers.Dense(2)]))
    assert uncompiled.compiled == expected["uncompiled_clone_compiled"]


# ------------------------------------------------ 4. TextVectorization's symbolic dtype
def test_text_vectorization_symbolic_dtype():
    inputs = lamina.Input((1,), dtype="string")
    for mode, expected in FACTS["text_vectorization_dtype"].items():
        vectorize = layers.TextVectorization(output_mode=mode, vocabulary=["a", "b"])
        assert vectorize(inputs).dtype == expected
    model = lamina.Model(inputs, layers.Embedding(4, 2)(
        layers.TextVectorization(vocabulary=["a", "b"], output_sequence_length=3)(inputs)))
    assert model.predict(np.array([["a b zz"]]), verbose=0).shape == (1, 3, 2)


# ------------------------------------------------ 5. InputSpec(shape=...)
class _Spec(layers.Layer):
    def __init__(self, spec):
        super().__init__()
        self.input_spec = spec

    def call(self, x):
        return x


def test_input_spec_shape_argument():
    expected = FACTS["input_spec"]
    spec = layers.InputSpec(shape=(None, 3), dtype="float32")
    assert repr(spec) == expected["repr"]
    assert [spec.ndim, list(spec.shape)] == [expected["ndim"], expected["shape"]]
    assert {**spec.get_config(), "shape": list(spec.shape)} == expected["config"]
    assert [spec.allow_last_axis_squeeze, spec.name, spec.optional] == expected["defaults"]
    assert layers.InputSpec.from_config(spec.get_config()).shape == (None, 3)


@pytest.mark.parametrize("case", sorted(FACTS["input_spec"]["accepts"]))
def test_input_spec_shape_checks_like_keras(case):
    label, shape = case.rsplit(" (", 1)
    shape = tuple(int(d) for d in shape.rstrip(")").split(", "))
    kwargs = {"shape": (None, 3)} if label == "shape=(None, 3)" else \
        {"shape": (None, 28, 28, 1), "allow_last_axis_squeeze": True}
    layer = _Spec(layers.InputSpec(**kwargs))
    if FACTS["input_spec"]["accepts"][case]:
        layer(np.zeros(shape, "float32"))
        layer(lamina.Input(batch_shape=(None,) + shape[1:]))
    else:
        with pytest.raises(ValueError, match=f'layer "{layer.name}" is incompatible'):
            layer(np.zeros(shape, "float32"))


def test_input_spec_keyword_uses_still_work():
    spec = layers.InputSpec(ndim=2, axes={-1: 3})
    assert spec.shape is None and spec.axes == {-1: 3}
    with pytest.raises(ValueError, match="expected axis -1"):
        _Spec(spec)(np.zeros((2, 4), "float32"))
    with pytest.raises(TypeError, match="axes"):
        layers.InputSpec(axes={"last": 3})


# ------------------------------------------------ 8. application layer classes in saved files
def test_custom_scale_layer_saves_as_keras_and_reloads(tmp_path):
    from lamina.applications.inception_resnet_v2 import CustomScaleLayer

    a, b = lamina.Input((3,)), lamina.Input((3,))
    model = lamina.Model([a, b], CustomScaleLayer(0.17)([a, b]))
    path = tmp_path / "scale.keras"
    model.save(path)
    layer = json.loads(__import__("zipfile").ZipFile(path).read("config.json"))["config"]["layers"][2]
    expected = FACTS["custom_scale_config"]
    assert {k: layer[k] for k in ("module", "class_name", "registered_name")} == \
        {k: expected[k] for k in ("module", "class_name", "registered_name")}
    assert layer["config"]["scale"] == expected["config"]["scale"]
    reloaded = lamina.models.load_model(path)
    assert isinstance(reloaded.layers[2], CustomScaleLayer)
    data = np.load(FIXTURES / "custom_scale.npz")
    np.testing.assert_allclose(reloaded([data["x1"], data["x2"]]).numpy(), data["y"], rtol=1e-6)


def test_keras_file_with_custom_scale_layer_loads():
    data = np.load(FIXTURES / "custom_scale.npz")
    model = lamina.models.load_model(FIXTURES / "custom_scale.keras")
    np.testing.assert_allclose(model([data["x1"], data["x2"]]).numpy(), data["y"], rtol=1e-6)


def test_only_layer_classes_of_known_application_modules_resolve():
    from lamina.registry.serialization import deserialize_keras_object

    base = {"config": {"scale": 0.5}, "registered_name": None}
    for module, class_name in [("keras.src.applications.inception_resnet_v2", "conv2d_bn"),
                               ("keras.src.applications.inception_resnet_v2", "model_utils"),
                               ("keras.src.applications.os", "CustomScaleLayer"),
                               ("keras.src.applications.model_utils", "CustomScaleLayer"),
                               ("os.path", "CustomScaleLayer")]:
        # (os.* is refused for safety before any lookup; the others are simply unknown)
        with pytest.raises(ValueError, match="Unknown layer|refused for safety"):
            deserialize_keras_object({**base, "module": module, "class_name": class_name},
                                     package="layers", what="layer")
    found = deserialize_keras_object(
        {**base, "module": "keras.applications.inception_resnet_v2",
         "class_name": "CustomScaleLayer"}, package="layers", what="layer")
    assert type(found).__name__ == "CustomScaleLayer" and found.scale == 0.5


def test_lookup_layers_report_keras_dtypes_on_symbolic_inputs():
    # Keras's IndexLookup.compute_output_spec (its layers need TensorFlow to run): ids int64,
    # an inverted lookup the vocabulary's dtype, encodings floatx.
    from lamina import layers as lamina_layers

    strings = lamina.Input((3,), dtype="string")
    ints = lamina.Input((3,), dtype="int64")
    assert lamina_layers.StringLookup(vocabulary=["a", "b"])(strings).dtype == "int64"
    assert lamina_layers.IntegerLookup(vocabulary=[1, 2])(ints).dtype == "int64"
    assert lamina_layers.StringLookup(vocabulary=["a", "b"], invert=True)(ints).dtype == "string"
    one_hot = lamina_layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot")(strings)
    assert one_hot.dtype == "float32" and one_hot.shape == (None, 3, 3)


def test_deepcopy_of_a_trained_model():
    import copy

    import numpy as np

    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 3), "float32")
    model.fit(x, np.ones((4, 2), "float32"), verbose=0)
    twin = copy.deepcopy(model)
    np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))


def test_an_unbuilt_sequential_called_symbolically_names_weights_once():
    # Keras 3.15: ['s/c/kernel', 's/c/bias'].
    x = lamina.Input((8, 8, 3))
    inner = lamina.Sequential([layers.Conv2D(4, 2, name="c")], name="s")
    assert [w.path for w in lamina.Model(x, inner(x)).weights] == ["s/c/kernel", "s/c/bias"]


def test_compile_settings_are_readable_before_compile():
    # Keras 3: a fresh model answers run_eagerly / jit_compile / steps_per_execution with
    # compile()'s defaults (guides read `model.run_eagerly` before compiling).
    model = lamina.Sequential([layers.Dense(1)])
    assert (model.run_eagerly, model.jit_compile, model.steps_per_execution) == (False, False, 1)
    model.compile("sgd", "mse", run_eagerly=True, steps_per_execution=2)
    assert model.run_eagerly is True and model.steps_per_execution == 2
