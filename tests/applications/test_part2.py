"""lamina.applications part 2 (MobileNet, MobileNetV2, MobileNetV3, NASNet, EfficientNet,
EfficientNetV2, ConvNeXt) against Keras 3.

The reference is tests/fixtures/applications/part2.json, written by Keras itself
(make_fixture_part2.py beside it): for every architecture the layer names and classes, weight
paths and shapes, parameter count and output shape; outputs of the smallest model of each
module with deterministic weights; `preprocess_input` values; the custom layers' configs. Every
architecture is built once, on the smallest input Keras allows, with weights=None. The test that
needs Keras itself (same random weights through a .weights.h5 file, same outputs) runs only
where Keras is installed.
"""

import hashlib
import json
import os
import pathlib
import warnings

import numpy as np
import pytest
import torch

from lamina import applications, backend, config
from lamina.applications import convnext, imagenet_utils

FIXTURE = json.loads(
    (pathlib.Path(__file__).parents[1] / "fixtures" / "applications" / "part2.json").read_text()
)
MODELS = FIXTURE["models"]

# Must match make_fixture_part2.py.
MODULES = {
    "mobilenet": ["MobileNet"],
    "mobilenet_v2": ["MobileNetV2"],
    "mobilenet_v3": ["MobileNetV3Small", "MobileNetV3Large"],
    "nasnet": ["NASNetMobile", "NASNetLarge"],
    "efficientnet": [f"EfficientNetB{i}" for i in range(8)],
    "efficientnet_v2": [f"EfficientNetV2{s}" for s in ("B0", "B1", "B2", "B3", "S", "M", "L")],
    "convnext": [f"ConvNeXt{s}" for s in ("Tiny", "Small", "Base", "Large", "XLarge")],
}
ALL = [name for names in MODULES.values() for name in names]
FIRST = [names[0] for names in MODULES.values()]
TOP_SIZE = 32
AVG_SIZE = (32, 48)
NO_CHANNELS_FIRST = {"nasnet", "convnext"}
CHANNELS_FIRST = [names[0] for module, names in MODULES.items() if module not in NO_CHANNELS_FIRST]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Building these graphs runs thousands of tiny initializer ops; on a shared machine torch's
    # thread pool makes each of them wait (EfficientNetB0: 5 s with 2 threads, 0.8 s with one).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def channels_first():
    config.set_image_data_format("channels_first")
    try:
        yield
    finally:
        config.set_image_data_format("channels_last")


def _build(name, **kwargs):
    backend.clear_session()  # fresh default names, as the fixture was recorded
    return getattr(applications, name)(weights=None, **kwargs)


def _layer_entries(model):
    # Keras keeps graph ops (`x + 3.0` in MobileNetV3's hard-sigmoid, ConvNeXt's residual
    # `inputs + x`) out of `model.layers`; lamina lists them as OpLayers, so they are left out
    # here to compare the layers proper.
    return [f"{layer.name}:{type(layer).__name__}" for layer in model.layers
            if type(layer).__name__ != "OpLayer"]


def _weight_entries(model):
    return [f"{w.path}:{','.join(str(d) for d in w.shape)}" for w in model.weights]


def _check_entries(actual, expected, what):
    if isinstance(expected, list):  # stored in full: show the first difference
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert a == e, f"{what} #{i}: lamina {a!r}, Keras {e!r}"
        assert len(actual) == len(expected), f"{what}: {len(actual)} vs Keras {len(expected)}"
        return
    assert len(actual) == expected["count"], f"{what}: {len(actual)} vs Keras {expected['count']}"
    assert actual[-len(expected["tail"]):] == expected["tail"], what
    digest = hashlib.sha256("\n".join(actual).encode()).hexdigest()
    assert digest == expected["sha256"], f"{what} differ from Keras's (same length and tail)"


def _check_model(model, expected):
    assert model.name == expected["name"]
    assert model.count_params() == expected["params"]
    assert list(model.output.shape) == expected["output_shape"]
    _check_entries(_layer_entries(model), expected["layers"], "layers")
    _check_entries(_weight_entries(model), expected["weights"], "weights")


# --- architectures against Keras's structure --------------------------------------------------

@pytest.mark.parametrize("name", ALL)
def test_architecture_with_top_matches_keras(name):
    model = _build(name, input_shape=(TOP_SIZE, TOP_SIZE, 3))
    _check_model(model, MODELS[name]["top"])


@pytest.mark.parametrize("name", FIRST)
def test_feature_extractor_matches_keras(name):
    height, width = AVG_SIZE
    model = _build(name, include_top=False, pooling="avg", input_shape=(height, width, 3))
    _check_model(model, MODELS[name]["avg"])


@pytest.mark.parametrize("name", CHANNELS_FIRST)
def test_channels_first_matches_keras(name, channels_first):
    height, width = AVG_SIZE
    model = _build(name, include_top=False, pooling="avg", input_shape=(3, height, width))
    _check_model(model, MODELS[name]["cf"])
    out = model(torch.rand(1, 3, height, width) * 255)
    assert out.shape == (1, MODELS[name]["cf"]["output_shape"][-1])
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", ["NASNetMobile", "ConvNeXtTiny"])
def test_channels_first_is_refused_as_in_keras(name, channels_first):
    with pytest.raises(ValueError, match="channels_last"):
        _build(name, input_shape=(3, 32, 32))


# --- numbers: deterministic weights, Keras's outputs -----------------------------------------

def _fill(index, shape, path):
    """The weights make_fixture_part2.py gives every model: seeded noise per weight, scaled
    by the fan-in for kernels, near 1 for normalization and layer scales, positive
    for variances, zero for offsets."""
    # numpy's legacy RandomState stream is frozen, so both sides draw the same numbers.
    noise = np.random.RandomState(index).uniform(-1.0, 1.0, size=shape)
    name = path.rsplit("/", 1)[-1]
    if name.endswith("variance"):
        return (1.0 + 0.5 * np.abs(noise)).astype("float32")
    if name == "gamma" or name.startswith("variable"):  # normalization and layer scales
        return (1.0 + 0.2 * noise).astype("float32")
    if len(shape) < 2:
        # Offsets (biases, betas, means) are zero: with inference-mode statistics the signal
        # shrinks through dozens of layers (EfficientNetB0's logits end near 1e-6), and constant
        # offsets would swamp it, leaving outputs that no longer depend on the input.
        return np.zeros(shape, dtype="float32")
    # Kernels: He scaling, so activations keep their size through the ReLUs (a depthwise
    # kernel (k, k, channels, 1) sums k * k inputs).
    fan_in = np.prod(shape[:2]) if len(shape) == 4 and shape[-1] == 1 else np.prod(shape[:-1])
    values = noise * np.sqrt(6.0 / fan_in)
    return values.reshape(shape).astype("float32")


def _numeric_input(shape):
    return np.random.RandomState(1234).uniform(0.0, 255.0, size=shape).astype("float32")


@pytest.mark.parametrize("case", sorted(FIXTURE["numerics"]))
def test_outputs_with_fixed_weights_match_keras(case):
    expected = FIXTURE["numerics"][case]
    data_format = expected["data_format"]
    config.set_image_data_format(data_format)
    try:
        model = _build(expected["model"], **expected["kwargs"])
        for index, weight in enumerate(model.weights):
            if weight.dtype.is_floating_point:
                weight.assign(_fill(index, tuple(weight.shape), weight.path))
        x = _numeric_input(expected["input_shape"])
        out = model(x).detach().numpy()
    finally:
        config.set_image_data_format("channels_last")
    reference = np.array(expected["output"], dtype="float32")
    np.testing.assert_allclose(out, reference, rtol=1e-3, atol=1e-4 * np.abs(reference).max())


# --- ImageNet weight files: the ones Keras downloads ------------------------------------------

class _Requested(Exception):
    pass


@pytest.mark.parametrize("case", FIXTURE["weight_files"],
                         ids=lambda case: f"{case['model']}-{case['file_name']}")
def test_imagenet_weights_come_from_keras_files(case, monkeypatch):
    from lamina.utils import file_utils

    requested = []

    def get_file(fname=None, origin=None, file_hash=None, **kwargs):
        requested.append((fname, origin, file_hash))
        raise _Requested  # nothing is downloaded

    monkeypatch.setattr(file_utils, "get_file", get_file)
    kwargs = dict(case["kwargs"])
    backend.clear_session()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(_Requested):
            getattr(applications, case["model"])(weights="imagenet", **kwargs)
    assert requested == [(case["file_name"], case["origin"], case["file_hash"])]
    warned = any(issubclass(w.category, UserWarning) for w in caught)
    assert warned == case["warns"], [str(w.message) for w in caught]


# --- preprocessing and decoding ---------------------------------------------------------------

@pytest.mark.parametrize("module", sorted(MODULES))
def test_preprocess_input_matches_keras(module):
    x = np.array(FIXTURE["preprocess"]["input"], dtype="float32")
    out = getattr(applications, module).preprocess_input(np.copy(x))
    np.testing.assert_allclose(np.asarray(out), FIXTURE["preprocess"]["outputs"][module],
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_decode_predictions_uses_the_imagenet_classes(module, monkeypatch):
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX",
                        {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)})
    preds = np.zeros((1, 1000), dtype="float32")
    preds[0, [7, 3, 500]] = [0.2, 0.5, 0.3]
    decoded = getattr(applications, module).decode_predictions(preds, top=2)
    assert [(c, n) for c, n, _ in decoded[0]] == [("n00000003", "class_3"),
                                                  ("n00000500", "class_500")]


# --- ConvNeXt's custom layers -----------------------------------------------------------------

def _keras_config_keys(config_dict):
    return {key for key in config_dict if key != "dtype"}


def test_layer_scale_config_math_and_round_trip():
    expected = FIXTURE["custom_layers"]["LayerScale"]
    layer = convnext.LayerScale(1e-6, 8, name="scale")
    cfg = layer.get_config()
    assert _keras_config_keys(cfg) == _keras_config_keys(expected)
    assert (cfg["init_values"], cfg["projection_dim"]) == (1e-6, 8)
    x = torch.randn(2, 3, 3, 8)
    out = layer(x)
    assert [tuple(w.shape) for w in layer.weights] == [(8,)]
    torch.testing.assert_close(out, x * 1e-6)
    clone = convnext.LayerScale.from_config(cfg)
    assert clone.get_config() == cfg


def test_stochastic_depth_drops_whole_samples_only_in_training():
    expected = FIXTURE["custom_layers"]["StochasticDepth"]
    layer = convnext.StochasticDepth(0.5, name="depth")
    assert _keras_config_keys(layer.get_config()) == _keras_config_keys(expected)
    assert convnext.StochasticDepth.from_config(layer.get_config()).drop_path_rate == 0.5
    x = torch.rand(64, 2, 2, 3) + 1.0
    torch.testing.assert_close(layer(x), x)  # inference: the identity
    out = layer(x, training=True)
    kept = (out != 0).flatten(1)
    # Each sample is dropped whole (all zeros) or kept and scaled by 1 / (1 - rate).
    assert torch.all(kept.all(dim=1) | (~kept).all(dim=1))
    kept_rows = kept.all(dim=1)
    torch.testing.assert_close(out[kept_rows], x[kept_rows] * 2.0)
    assert 0 < kept_rows.sum() < 64


# --- training mode: dropout with noise_shape, stochastic depth, batch statistics --------------

@pytest.mark.parametrize("build", [
    lambda: applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=4),
    lambda: applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=4,
                                          alpha=0.75),
    lambda: convnext.ConvNeXt([1, 1, 2, 1], [8, 16, 32, 64], drop_path_rate=0.5,
                              weights=None, input_shape=(32, 32, 3), classes=4),
], ids=["EfficientNetB0", "MobileNetV3Small", "ConvNeXt-small-stochastic-depth"])
def test_models_train(build):
    model = build()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    y = np.arange(4)
    kernel = model.trainable_weights[0]
    before = kernel.detach().clone()
    losses = [model.train_on_batch(x, y) for _ in range(2)]
    assert np.all(np.isfinite(losses))
    assert not torch.equal(kernel.detach(), before)  # gradients reached the stem


# --- arguments --------------------------------------------------------------------------------

def test_imagenet_weights_need_1000_classes():
    with pytest.raises(ValueError, match="classes"):
        applications.MobileNetV2(weights="imagenet", classes=10)


def test_unknown_weights_are_refused():
    with pytest.raises(ValueError, match="weights"):
        applications.EfficientNetB0(weights="no/such/file.h5")


def test_mobilenet_imagenet_alpha_is_checked():
    with pytest.raises(ValueError, match="alpha"):
        applications.MobileNet(weights="imagenet", alpha=0.3)


def test_convnext_imagenet_weights_need_the_variant_architecture():
    with pytest.raises(ValueError, match="depths"):
        convnext.ConvNeXt([1, 1, 1, 1], [8, 16, 32, 64], weights="imagenet",
                          weights_name="convnext_tiny")


def test_efficientnet_v2_custom_name_keeps_its_variant():
    # Keras looks the stages up by the model's name, so another name fails there; here the
    # variant decides, and the name is only the name.
    model = applications.EfficientNetV2B0(weights=None, input_shape=(32, 32, 3), name="mine")
    assert model.name == "mine"
    assert model.count_params() == MODELS["EfficientNetV2B0"]["top"]["params"]


# --- Keras itself: same weights through a file, same outputs ---------------------------------

# MobileNetV3 and ConvNeXt add graph ops, custom layers and nested Sequentials to the file.
@pytest.mark.parametrize("name", ["MobileNetV2", "EfficientNetB0", "MobileNetV3Small",
                                  "ConvNeXtTiny"])
def test_keras_weights_file_gives_keras_outputs(name, tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    path = str(tmp_path / "model.weights.h5")
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    with warnings.catch_warnings():
        # Keras's own numpy conversions warn under numpy 2 (DeprecationWarning): not ours.
        warnings.simplefilter("ignore", DeprecationWarning)
        keras.utils.set_random_seed(1)
        reference = getattr(keras.applications, name)(weights=None, input_shape=(32, 32, 3),
                                                       classifier_activation=None)
        # Random moving statistics too, so batch normalization runs with non-trivial ones.
        rng = np.random.default_rng(2)
        for weight in reference.weights:
            if "moving" in weight.path:
                weight.assign(rng.uniform(0.5, 1.5, tuple(weight.shape)).astype("float32"))
        reference.save_weights(path)
        expected = np.asarray(keras.ops.convert_to_numpy(reference(x, training=False)))

    model = _build(name, input_shape=(32, 32, 3), classifier_activation=None)  # logits
    model.load_weights(path)
    out = model(x).detach().numpy()
    np.testing.assert_allclose(out, expected, atol=1e-4, rtol=1e-4)
