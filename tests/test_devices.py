"""lamina's default device (lamina/devices.py): where the tensors lamina creates from no tensor go,
and where compile/fit place a model. Keras on torch's rule: the GPU when there is one."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import devices, ops
from lamina.trainers import trainer

CREATORS = {
    "arange": lambda: ops.arange(4),
    "ones": lambda: ops.ones((2, 3)),
    "zeros": lambda: ops.zeros((2,)),
    "empty": lambda: ops.empty((2,)),
    "full": lambda: ops.full((2,), 7),
    "eye": lambda: ops.eye(3),
    "tri": lambda: ops.tri(3),
    "linspace": lambda: ops.linspace(0, 1, 5),
    "hamming": lambda: ops.hamming(5),
    "kaiser": lambda: ops.kaiser(5, 2.0),
    "hanning (empty)": lambda: ops.hanning(0),
    "convert_to_tensor (array)": lambda: ops.convert_to_tensor(np.ones(3)),
    "convert_to_tensor (list)": lambda: ops.convert_to_tensor([1, 2]),
    "convert_to_tensor (scalar)": lambda: ops.convert_to_tensor(2.0),
    "random.normal": lambda: keras.random.normal((2,)),
    "random.uniform": lambda: keras.random.uniform((2,), seed=1),
    "random.truncated_normal": lambda: keras.random.truncated_normal((2,)),
    "random.randint": lambda: keras.random.randint((2,), 0, 5),
    "random.normal (SeedGenerator)": lambda: keras.random.normal(
        (2,), seed=keras.random.SeedGenerator(3)),
}


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_created_tensors_follow_keras_device_scope(name):
    with keras.device("meta"):  # a device every machine has, holding no memory
        assert CREATORS[name]().device.type == "meta"
    assert CREATORS[name]().device == devices.default_device()


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_created_tensors_follow_torch_default_device(name):
    with torch.device("meta"):  # as inside lamina's shape inference
        assert CREATORS[name]().device.type == "meta"


def test_the_gpu_is_the_default_when_cuda_is_available(monkeypatch):
    monkeypatch.setattr(devices, "_cuda", [True])
    assert devices.default_device() == torch.device("cuda")
    assert trainer.default_device() == torch.device("cuda")  # models go where tensors go
    with keras.device("cpu"):
        assert devices.default_device() == torch.device("cpu")
        assert trainer.default_device() == torch.device("cpu")
    with torch.device("meta"):  # a device the program chose itself wins over the GPU
        assert devices.default_device() == torch.device("meta")
    monkeypatch.setattr(devices, "_cuda", [False])
    assert devices.default_device() == torch.device("cpu")


def test_a_multi_process_job_uses_its_own_device(monkeypatch):
    from lamina.distribution import seam

    monkeypatch.setattr(seam, "device", lambda: torch.device("cuda", 3))
    assert devices.default_device() == torch.device("cuda", 3)
    with keras.device("cpu"):  # an explicit scope still wins
        assert devices.default_device() == torch.device("cpu")


@pytest.mark.parametrize("name, expected", [
    ("cpu", "cpu"), ("CPU:0", "cpu:0"), ("gpu", "cuda"), ("gpu:1", "cuda:1"),
    ("cuda:0", "cuda:0"), ("/device:GPU:0", "cuda:0"), ("/gpu:2", "cuda:2"), ("meta", "meta"),
])
def test_keras_device_names(name, expected):
    assert devices.standardize_device(name) == torch.device(expected)
    assert devices.standardize_device(torch.device(expected)) == torch.device(expected)


@pytest.mark.parametrize("name", ["tpu:0:1", "graphics card", 3])
def test_unknown_device_names_say_what_to_write(name):
    with pytest.raises(ValueError, match="'gpu'"):
        with keras.device(name):
            pass


def test_scopes_nest_and_unwind_on_errors():
    with keras.device("meta"):
        with keras.device("cpu"):
            assert ops.ones(()).device.type == "cpu"
        assert ops.ones(()).device.type == "meta"
        with pytest.raises(RuntimeError):
            with keras.device("cpu"):
                raise RuntimeError("inside")
        assert ops.ones(()).device.type == "meta"
    assert not devices._scopes


class _TokenAndPositionEmbedding(keras.layers.Layer):
    """The Keras transformer example's embedding: position indices made with ops.arange."""

    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = keras.layers.Embedding(vocab_size, embed_dim)
        self.pos_emb = keras.layers.Embedding(maxlen, embed_dim)
        self.scale = ops.convert_to_tensor(0.5)  # a constant made in __init__

    def call(self, x):
        positions = ops.arange(0, ops.shape(x)[-1], 1)
        return self.token_emb(x) * self.scale + self.pos_emb(positions)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_keras_code_that_makes_constants_trains_on_the_gpu():
    inputs = keras.Input((12,), dtype="int32")
    x = _TokenAndPositionEmbedding(12, 50, 8)(inputs)
    x = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 50, (64, 12)), rng.integers(0, 2, 64).astype("float32")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert next(model.parameters()).device.type == "cuda"
    assert np.isfinite(history.history["loss"]).all()
    assert model.predict(x, verbose=0).shape == (64, 1)


def test_fit_inside_a_cpu_scope_stays_on_the_cpu_where_a_gpu_is_the_default(monkeypatch):
    monkeypatch.setattr(devices, "_cuda", [True])  # as on a GPU machine
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    x, y = np.ones((8, 4), "float32"), np.ones((8, 1), "float32")
    with keras.device("cpu"):
        model.compile("sgd", "mse")
        model.fit(x, y, epochs=1, verbose=0)
        assert model.predict(x, verbose=0).shape == (8, 1)
    assert next(model.parameters()).device.type == "cpu"
    if not torch.cuda.is_available():  # the same fit outside the scope goes for the GPU
        fresh = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        with pytest.raises((AssertionError, RuntimeError)):  # (torch built without CUDA)
            fresh.compile("sgd", "mse")
            fresh.fit(x, y, epochs=1, verbose=0)


def _small_functional_model():
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(2)(inputs))


def test_a_model_never_placed_follows_the_device_of_its_input(monkeypatch):
    """Keras on torch keeps weights on the GPU, so `model(ops.ones(...))` works there before
    any fit; lamina's weights start on the CPU, and a model not yet placed moves to the GPU
    tensor it is called on (the move itself is recorded here: no GPU needed)."""
    model = _small_functional_model()
    moved = []
    monkeypatch.setattr(model, "to", lambda device: moved.append(device) or model)
    gpu = torch.device("cuda", 1)
    assert model._follow_input_device(gpu) == gpu
    assert moved == [gpu] and model._device == gpu


def test_a_model_the_program_placed_itself_is_not_moved(monkeypatch):
    model = _small_functional_model()
    model.to("meta")  # weights somewhere other than the CPU: the program's own choice
    monkeypatch.setattr(model, "to", lambda device: pytest.fail("moved"))
    meta = torch.device("meta")
    assert model._follow_input_device(torch.device("cuda", 1)) == meta
    assert model._device == meta  # where the program put its weights


def test_a_compiled_model_moved_by_the_program_stays_and_its_inputs_follow():
    """A torch user's `model.to(device)` after compile: fit, evaluate and calls used to send
    the data to the device compile chose (a device mismatch) and fit moved the model back.
    (The meta device stands in for a second device here.)"""
    inner = _small_functional_model()
    model = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    assert model._device.type == "cpu"
    model.to("meta")
    meta = torch.device("meta")
    assert model._device == inner._device == meta
    model._move_to_default_device()  # what compile/fit/evaluate/predict call first
    assert next(model.parameters()).device == meta
    assert model(np.ones((2, 4), "float32")).device == meta  # numpy inputs follow the model
    model.compile("sgd", "mse")
    assert next(model.parameters()).device == meta
    model.to(torch.float64)  # a dtype cast is not a move
    assert model._device == meta


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_model_never_placed_runs_on_gpu_tensors_and_then_on_numpy():
    model = _small_functional_model()
    assert next(model.parameters()).device.type == "cpu"
    outputs = model(keras.random.normal((3, 4)))  # made on the GPU, as in Keras on torch
    assert outputs.device.type == "cuda" and next(model.parameters()).device.type == "cuda"
    assert model(np.ones((3, 4), "float32")).device.type == "cuda"


def test_placing_a_model_places_the_models_inside_it(monkeypatch):
    """So that a nested model never looks for its device inside a (compiled) step."""
    inner = _small_functional_model()
    outer = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(1)])
    with keras.device("meta"):
        outer._move_to_default_device()
    assert outer._device == inner._device == torch.device("meta")
