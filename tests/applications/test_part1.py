"""lamina.applications part 1 (VGG, ResNet, ResNetV2, InceptionV3, InceptionResNetV2, Xception,
DenseNet) against Keras 3.

The reference is tests/fixtures/applications/part1.json, written by Keras itself
(make_fixture_part1.py beside it): layer names and classes, weight paths and shapes, the layer
config values that decide the computation, parameter counts, output shapes, preprocess_input
values and decode_predictions results. Architectures are built once per variant, on small
inputs, with weights=None. The tests that need Keras itself
(same weights, same outputs) run only where it is installed.
"""

import hashlib
import json
import os
import pathlib

import numpy as np
import pytest
import torch

from lamina import applications, backend, config, layers, models
from lamina.applications import imagenet_utils

FIXTURE = json.loads(
    (pathlib.Path(__file__).parents[1] / "fixtures" / "applications" / "part1.json").read_text()
)
MODELS = FIXTURE["models"]

# Must match make_fixture_part1.py: name -> (input size of "top", input (height, width) of "avg")
SIZES = {
    "VGG16": (32, (32, 40)), "VGG19": (32, (32, 40)),
    "ResNet50": (32, (32, 48)), "ResNet101": (32, (32, 48)), "ResNet152": (32, (32, 48)),
    "ResNet50V2": (32, (32, 48)), "ResNet101V2": (32, (32, 48)), "ResNet152V2": (32, (32, 48)),
    "InceptionV3": (75, (75, 90)), "InceptionResNetV2": (75, (75, 90)),
    "Xception": (71, (71, 80)),
    "DenseNet121": (32, (32, 48)), "DenseNet169": (32, (32, 48)), "DenseNet201": (32, (32, 48)),
}
CHANNELS_FIRST = {"ResNet50V2": (32, 48), "InceptionV3": (75, 90)}


@pytest.fixture
def channels_first():
    config.set_image_data_format("channels_first")
    try:
        yield
    finally:
        config.set_image_data_format("channels_last")


def _layer_entries(model):
    return [f"{layer.name}:{type(layer).__name__}" for layer in model.layers]


# Must match CONFIG_KEYS of make_fixture_part1.py.
CONFIG_KEYS = ("filters", "kernel_size", "strides", "padding", "dilation_rate", "use_bias",
               "depth_multiplier", "activation", "units", "axis", "epsilon", "center", "scale",
               "pool_size", "data_format")


def _config_entries(model):
    """The config values that decide what each layer computes (strides, epsilon, ...)."""
    entries = []
    for layer in model.layers:
        config = layer.get_config()
        picked = {key: config[key] for key in CONFIG_KEYS if key in config}
        entries.append(json.dumps(picked, sort_keys=True, separators=(",", ":")))
    return entries


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
    assert model.count_params() == expected["params"]
    assert list(model.output.shape) == expected["output_shape"]
    _check_entries(_layer_entries(model), expected["layers"], "layers")
    _check_entries(_weight_entries(model), expected["weights"], "weights")
    _check_entries(_config_entries(model), expected["configs"], "layer configs")


# --- architectures against Keras's structure --------------------------------------------------

@pytest.mark.parametrize("name", sorted(SIZES))
def test_architecture_with_top_matches_keras(name):
    size = SIZES[name][0]
    model = getattr(applications, name)(weights=None, input_shape=(size, size, 3))
    assert model.name == name.lower().replace("inceptionv3", "inception_v3").replace(
        "inceptionresnetv2", "inception_resnet_v2")
    _check_model(model, MODELS[name]["top"])


@pytest.mark.parametrize("name", sorted(SIZES))
def test_feature_extractor_with_avg_pooling_matches_keras(name):
    height, width = SIZES[name][1]
    model = getattr(applications, name)(weights=None, include_top=False, pooling="avg",
                                        input_shape=(height, width, 3))
    _check_model(model, MODELS[name]["avg"])


@pytest.mark.parametrize("name", sorted(CHANNELS_FIRST))
def test_channels_first_matches_keras(name, channels_first):
    height, width = CHANNELS_FIRST[name]
    model = getattr(applications, name)(weights=None, include_top=False, pooling="avg",
                                        input_shape=(3, height, width))
    _check_model(model, MODELS[name]["cf"])


def test_densenet_accepts_channels_first(channels_first):
    # Keras refuses channels_first for DenseNet; nothing in the architecture needs that.
    model = applications.DenseNet121(weights=None, include_top=False, pooling="avg",
                                     input_shape=(3, 32, 48))
    assert model.count_params() == MODELS["DenseNet121"]["avg"]["params"]
    assert model.layers[-3].axis == 1  # the final BatchNormalization ("bn")


def test_default_input_shape_and_parameters():
    model = applications.ResNet50(weights=None)
    assert model.input.shape == (None, 224, 224, 3)
    assert model.count_params() == FIXTURE["default_params"]["ResNet50"]


def test_channels_first_computes_the_same_function():
    """Same weights (Keras layouts do not depend on the data format), transposed input: the
    pooled features must be equal."""
    model_last = applications.ResNet50V2(weights=None, include_top=False, pooling="avg",
                                         input_shape=(32, 32, 3))
    config.set_image_data_format("channels_first")
    try:
        model_first = applications.ResNet50V2(weights=None, include_top=False, pooling="avg",
                                              input_shape=(3, 32, 32))
    finally:
        config.set_image_data_format("channels_last")
    rng = np.random.default_rng(0)
    model_first.set_weights([_random_like(w, rng) for w in model_first.get_weights()])
    model_last.set_weights(model_first.get_weights())
    x = rng.random((1, 32, 32, 3)).astype("float32")
    with torch.no_grad():
        expected = model_last(torch.from_numpy(x)).numpy()
        actual = model_first(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


def _random_like(array, rng):
    # Positive values keep BatchNormalization's moving variance valid; scaled down so that the
    # activations stay of order one through the whole network.
    return (rng.random(array.shape) * 0.1 + 0.05).astype(array.dtype)


@pytest.mark.parametrize("name", ["ResNet50", "VGG16"])
def test_pooling_max_and_none(name):
    model = getattr(applications, name)(weights=None, include_top=False, pooling="max",
                                        input_shape=(32, 32, 3))
    assert type(model.layers[-1]).__name__ == "GlobalMaxPooling2D"
    assert model.output.shape[1:] == tuple(MODELS[name]["avg"]["output_shape"][1:])
    backend.clear_session()
    model = getattr(applications, name)(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert len(model.output.shape) == 4


def test_classes_and_classifier_activation():
    model = applications.ResNet50V2(weights=None, input_shape=(32, 32, 3), classes=7,
                                    classifier_activation=None)
    assert model.output.shape == (None, 7)
    out = model(torch.rand(2, 32, 32, 3))
    assert not torch.allclose(out.sum(-1), torch.ones(2))  # logits, not probabilities


def test_input_tensor_keeps_its_source_inputs():
    source = layers.Input((40, 40, 3))
    scaled = layers.Rescaling(1 / 255.0)(source)
    model = applications.VGG16(weights=None, include_top=False, input_tensor=scaled)
    assert model.inputs[0] is source
    assert model(torch.rand(1, 40, 40, 3)).shape == (1, 1, 1, 512)


def test_submodules_mirror_keras():
    from lamina.applications import resnet50

    assert resnet50.ResNet50 is applications.ResNet50 is applications.resnet.ResNet50
    for module in ("vgg16", "vgg19", "resnet", "resnet50", "resnet_v2", "inception_v3",
                   "inception_resnet_v2", "xception", "densenet", "imagenet_utils"):
        submodule = getattr(applications, module)
        assert callable(submodule.preprocess_input) and callable(submodule.decode_predictions)
    assert applications.densenet.DenseNet201 is applications.DenseNet201
    assert "MobileNetV2" in dir(applications)
    with pytest.raises(AttributeError, match="no attribute 'ResNet18'"):
        applications.ResNet18


# --- argument errors (Keras's rules; messages name the argument and the value) -----------------

@pytest.mark.parametrize("kwargs, message", [
    ({"weights": "no_such_file.h5"}, r"`weights` argument .*weights='no_such_file.h5'"),
    ({"weights": "imagenet", "classes": 10}, r"`classes` should be 1000.*classes=10"),
    ({"weights": "imagenet", "input_shape": (100, 100, 3)},
     r"`input_shape` should be \(224, 224, 3\)"),
    ({"weights": None, "include_top": False, "input_shape": (16, 16, 3)},
     r"at least 32x32.*input_shape=\(16, 16, 3\)"),
    ({"weights": None, "include_top": False, "input_shape": (32, 32)},
     r"tuple of three integers"),
    ({"weights": None, "include_top": True, "input_shape": (None, None, 3)},
     r"static `input_shape`"),
    ({"weights": None, "include_top": False, "pooling": "mean"}, r"pooling='mean'"),
    ({"weights": None, "input_tensor": np.zeros((1, 32, 32, 3))}, r"`input_tensor` should be"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        applications.VGG16(**kwargs)


def test_pretrained_weights_allow_only_softmax_or_none(tmp_path):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(b"")  # an existing path is accepted as `weights` before anything loads
    with pytest.raises(ValueError, match=r"classifier_activation='relu'"):
        applications.ResNet50(weights=str(path), input_shape=(32, 32, 3),
                              classifier_activation="relu")


def test_obtain_input_shape_rules():
    shape = imagenet_utils.obtain_input_shape(None, 224, 32, "channels_first", False)
    assert shape == (3, None, None)
    assert imagenet_utils.obtain_input_shape(None, 299, 75, "channels_last", True) == (299, 299, 3)
    with pytest.warns(UserWarning, match="1 or 3 input channels"):
        assert imagenet_utils.obtain_input_shape((64, 64, 5), 224, 32, "channels_last",
                                                 False) == (64, 64, 5)
    with pytest.raises(ValueError, match="3 channels"):
        imagenet_utils.obtain_input_shape((1, 64, 64), 224, 32, "channels_first", False,
                                          weights="imagenet")


def test_correct_pad():
    assert imagenet_utils.correct_pad(layers.Input((224, 224, 3)), 3) == ((0, 1), (0, 1))
    assert imagenet_utils.correct_pad(layers.Input((225, 224, 3)), (3, 5)) == ((1, 1), (1, 2))
    assert imagenet_utils.correct_pad(layers.Input((None, None, 3)), 3) == ((0, 1), (0, 1))


# --- ImageNet weights: Keras's files, through get_file -----------------------------------------

def test_imagenet_weights_come_from_keras_urls(tmp_path, monkeypatch):
    """weights="imagenet" asks get_file for Keras's file (name, URL, hash) and loads it; the file
    here is a legacy .h5 written from another model, as Keras's files are."""
    from lamina.utils import file_utils

    source = applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))
    rng = np.random.default_rng(1)
    source.set_weights([_random_like(w, rng) for w in source.get_weights()])
    path = tmp_path / "resnet50_notop.h5"
    source.save_weights(str(path))
    requests = []

    def fake_get_file(fname, origin, **kwargs):
        requests.append((fname, origin, kwargs))
        return str(path)

    monkeypatch.setattr(file_utils, "get_file", fake_get_file)
    backend.clear_session()
    model = applications.ResNet50(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    name = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    assert requests == [(
        name,
        "https://storage.googleapis.com/tensorflow/keras-applications/resnet/" + name,
        {"cache_subdir": "models", "file_hash": "4d473c1dd8becc155b73f8504c6f6626"},
    )]
    for loaded, saved in zip(model.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(loaded, saved)


def test_weights_from_a_path(tmp_path):
    source = applications.ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3))
    rng = np.random.default_rng(2)
    source.set_weights([_random_like(w, rng) for w in source.get_weights()])
    path = tmp_path / "resnet50v2.weights.h5"
    source.save_weights(str(path))
    backend.clear_session()
    model = applications.ResNet50V2(weights=str(path), include_top=False,
                                    input_shape=(32, 32, 3))
    for loaded, saved in zip(model.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(loaded, saved)


# --- preprocess_input against Keras's values ---------------------------------------------------

PREPROCESS = FIXTURE["preprocess"]
PREPROCESS_CASES = sorted(PREPROCESS["cases"])


def _case_input(key):
    _, data_format, rank = key.split("/")
    x = np.asarray(PREPROCESS["input"], dtype="float32")
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x if rank == "4" else x[0]), data_format


@pytest.mark.parametrize("key", PREPROCESS_CASES)
def test_preprocess_input_numpy(key):
    x, data_format = _case_input(key)
    out = imagenet_utils.preprocess_input(x, data_format=data_format, mode=key.split("/")[0])
    np.testing.assert_allclose(out, PREPROCESS["cases"][key], rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("key", PREPROCESS_CASES)
def test_preprocess_input_tensor(key):
    x, data_format = _case_input(key)
    tensor = torch.from_numpy(x)
    out = imagenet_utils.preprocess_input(tensor, data_format=data_format, mode=key.split("/")[0])
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), PREPROCESS["cases"][key], rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(tensor.numpy(), x)  # tensors are not modified in place


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_input_symbolic(mode):
    key = f"{mode}/channels_last/4"
    x, _ = _case_input(key)
    inputs = layers.Input(x.shape[1:])
    model = models.Model(inputs, imagenet_utils.preprocess_input(inputs, mode=mode))
    np.testing.assert_allclose(model.predict(x, verbose=0), PREPROCESS["cases"][key],
                               rtol=1e-6, atol=1e-5)


def test_preprocess_input_integer_data_and_in_place_rule():
    key = "caffe/channels_last/4"
    x, _ = _case_input(key)
    out = imagenet_utils.preprocess_input(x.astype("uint8"))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, PREPROCESS["cases"][key], rtol=1e-6, atol=1e-5)
    floats = x.copy()
    imagenet_utils.preprocess_input(floats, mode="tf")
    np.testing.assert_allclose(floats, PREPROCESS["cases"]["tf/channels_last/4"], atol=1e-6)
    ints = torch.from_numpy(x.astype("int64"))
    assert imagenet_utils.preprocess_input(ints, mode="tf").dtype == torch.float32


@pytest.mark.parametrize("module, mode", [
    ("vgg16", "caffe"), ("vgg19", "caffe"), ("resnet", "caffe"), ("resnet50", "caffe"),
    ("resnet_v2", "tf"), ("inception_v3", "tf"), ("inception_resnet_v2", "tf"),
    ("xception", "tf"), ("densenet", "torch"),
])
def test_family_preprocess_input_modes(module, mode):
    key = f"{mode}/channels_last/4"
    x, _ = _case_input(key)
    out = getattr(applications, module).preprocess_input(x)
    np.testing.assert_allclose(out, PREPROCESS["cases"][key], rtol=1e-6, atol=1e-5)


def test_preprocess_input_errors():
    with pytest.raises(ValueError, match=r"mode=.*'bgr'"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="bgr")
    with pytest.raises(ValueError, match=r"data_format='nhwc'"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), data_format="nhwc")


# --- decode_predictions ------------------------------------------------------------------------

STAND_IN_INDEX = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}


@pytest.fixture
def class_index_in_cache(tmp_path, monkeypatch):
    """A stand-in class index where get_file looks for it (a cache under $KERAS_HOME), with
    its own hash, so nothing is downloaded."""
    cache = tmp_path / "models"
    cache.mkdir()
    path = cache / "imagenet_class_index.json"
    path.write_text(json.dumps(STAND_IN_INDEX))
    monkeypatch.delenv("LAMINA_HOME", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH",
                        hashlib.md5(path.read_bytes()).hexdigest())
    return path


def _decode_case():
    decode = FIXTURE["decode"]
    preds = np.random.default_rng(decode["preds_seed"]).random((2, 1000)).astype("float32")
    return preds, decode["top"], decode["decoded"]


@pytest.mark.parametrize("as_tensor", [False, True])
def test_decode_predictions_matches_keras(class_index_in_cache, as_tensor):
    preds, top, expected = _decode_case()
    given = torch.from_numpy(preds) if as_tensor else preds
    decoded = applications.resnet50.decode_predictions(given, top=top)
    assert [[(c, n) for c, n, _ in row] for row in decoded] == [
        [(c, n) for c, n, _ in row] for row in expected]
    np.testing.assert_allclose([[s for *_, s in row] for row in decoded],
                               [[s for *_, s in row] for row in expected])


def test_decode_predictions_asks_for_keras_file(monkeypatch, tmp_path):
    from lamina.utils import file_utils

    path = tmp_path / "index.json"
    path.write_text(json.dumps(STAND_IN_INDEX))
    requests = []
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(file_utils, "get_file",
                        lambda *args, **kwargs: requests.append((args, kwargs)) or str(path))
    imagenet_utils.decode_predictions(np.eye(1000)[:1], top=1)
    imagenet_utils.decode_predictions(np.eye(1000)[:1], top=1)  # read once, then kept
    assert requests == [(
        ("imagenet_class_index.json",
         "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"),
        {"cache_subdir": "models", "file_hash": "c2c37ea517e94d9795004a39431a14cb"},
    )]


def test_decode_predictions_rejects_other_shapes():
    with pytest.raises(ValueError, match=r"\(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


# --- same weights, same outputs as Keras (only where Keras is installed) -----------------------

def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def _keras_randomize(model, seed):
    """Keras's random kernels, plus random biases and BatchNormalization statistics (which
    start as zeros and ones): every weight then matters to the output."""
    rng = np.random.default_rng(seed)
    ranges = {"gamma": (0.5, 1.5), "moving_variance": (0.5, 1.5)}
    for variable in model.weights:
        if len(variable.shape) == 1:
            low, high = ranges.get(variable.name, (-0.2, 0.2))
            variable.assign(rng.uniform(low, high, variable.shape).astype("float32"))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras under numpy 2
def test_resnet50_outputs_equal_keras_outputs(tmp_path):
    keras = _keras()
    # Logits (no softmax), so that the comparison sees every class at its own scale.
    reference = keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3),
                                            classifier_activation=None)
    _keras_randomize(reference, 3)
    path = tmp_path / "resnet50.weights.h5"
    reference.save_weights(str(path))
    x = np.random.default_rng(4).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(reference(x, training=False))

    model = applications.ResNet50(weights=None, input_shape=(32, 32, 3),
                                  classifier_activation=None)
    model.load_weights(str(path))
    with torch.no_grad():
        actual = model(torch.from_numpy(x)).numpy()
    assert np.std(expected) > 0.1  # a meaningful comparison: outputs of order one, not zeros
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras under numpy 2
def test_inception_v3_loads_keras_legacy_weights_by_position(tmp_path):
    """Keras's ImageNet files are weights-only legacy .h5 files, read by position: here one
    written by Keras from InceptionV3, whose layers mostly have default names."""
    keras = _keras()
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    reference = keras.applications.InceptionV3(weights=None, include_top=False, pooling="avg",
                                               input_shape=(75, 75, 3))
    _keras_randomize(reference, 5)
    path = tmp_path / "inception_v3_notop.h5"
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)
    x = np.random.default_rng(6).uniform(-1, 1, (2, 75, 75, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(reference(x, training=False))
    assert np.std(expected) > 0.01

    model = applications.InceptionV3(weights=str(path), include_top=False, pooling="avg",
                                     input_shape=(75, 75, 3))
    with torch.no_grad():
        actual = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
