"""LoRA on Dense, EinsumDense and Embedding, checked against Keras 3.15.1
(tests/fixtures/lora/make_lora_fixtures.py) and against its definition."""

import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina import layers

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "lora"
REFERENCE = np.load(FIXTURES / "reference.npz")


def _lora_model():
    inputs = lamina.Input((5,), dtype="int32", name="ids")
    x = layers.Embedding(20, 6, name="embed")(inputs)
    x = layers.EinsumDense("abc,cd->abd", output_shape=(None, 4), bias_axes="d", name="proj")(x)
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    outputs = layers.Dense(3, name="head")(x)
    return lamina.Model(inputs, outputs, name="lora_model")


def _trained_like_keras():
    model = _lora_model()
    for variable in model.weights:
        variable.assign(REFERENCE[f"start/{variable.path}"])
    for name in ("embed", "proj", "head"):
        model.get_layer(name).enable_lora(2)
    for variable in model.weights:
        if "lora" in variable.path:
            variable.assign(np.linspace(-0.3, 0.3, variable.numel()).reshape(
                tuple(variable.shape)).astype("float32"))
    return model


def test_lora_training_matches_keras():
    model = _trained_like_keras()
    assert [v.path for v in model.trainable_weights] == list(REFERENCE["trainable"])
    assert [v.path for v in model.non_trainable_weights] == list(REFERENCE["non_trainable"])
    frozen = model.get_layer("head").kernel.numpy()
    model.compile(optimizer=lamina.optimizers.Adam(0.01), loss="mse")
    losses = [model.train_on_batch(REFERENCE["ids"], REFERENCE["y"]) for _ in range(3)]
    np.testing.assert_allclose(losses, REFERENCE["losses"], rtol=1e-5)
    np.testing.assert_allclose(model.predict(REFERENCE["ids"], verbose=0), REFERENCE["predict"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model.get_layer("head").kernel.numpy(), frozen)


def test_keras_lora_file_loads_merged_and_files_round_trip(tmp_path):
    model = lamina.saving.load_model(FIXTURES / "lora_model.keras")
    head = model.get_layer("head")
    assert head.lora_enabled and (head.lora_rank, head.lora_alpha) == (2, 2)
    assert not head.lora_kernel_b.numpy().any()  # the file's kernel is merged
    expected = REFERENCE["predict"]
    np.testing.assert_allclose(model.predict(REFERENCE["ids"], verbose=0), expected,
                               rtol=1e-5, atol=1e-6)
    trained = _trained_like_keras()
    trained.compile(optimizer=lamina.optimizers.Adam(0.01), loss="mse")
    for _ in range(3):
        trained.train_on_batch(REFERENCE["ids"], REFERENCE["y"])
    trained.save(tmp_path / "lamina_lora.keras")
    again = lamina.saving.load_model(tmp_path / "lamina_lora.keras")
    np.testing.assert_allclose(again.predict(REFERENCE["ids"], verbose=0), expected,
                               rtol=1e-5, atol=1e-6)
    # A model without LoRA reads the merged weights too (as Keras's files allow).
    plain = _lora_model()
    trained.save_weights(tmp_path / "merged.weights.h5")
    plain.load_weights(tmp_path / "merged.weights.h5")
    np.testing.assert_allclose(plain.predict(REFERENCE["ids"], verbose=0), expected,
                               rtol=1e-5, atol=1e-6)


def test_lora_computes_the_scaled_low_rank_update():
    layer = layers.Dense(3, use_bias=False, lora_rank=2, lora_alpha=6)
    layer.build((None, 4))
    assert (layer.lora_rank, layer.lora_alpha, layer.get_config()["lora_alpha"]) == (2, 6, 6)
    assert tuple(layer.lora_kernel_a.shape) == (4, 2) and tuple(layer.lora_kernel_b.shape) == (2, 3)
    layer.lora_kernel_b.assign(np.ones((2, 3), "float32"))
    x = torch.randn(5, 4)
    expected = x @ (layer.kernel + 3.0 * layer.lora_kernel_a @ layer.lora_kernel_b)
    torch.testing.assert_close(layer(x), expected)
    # Only the factors learn.
    layer(x).sum().backward()
    assert layer.kernel.grad is None and layer.lora_kernel_a.grad is not None
    rebuilt = layers.Dense.from_config(layer.get_config())
    rebuilt.build((None, 4))
    assert rebuilt.lora_enabled and rebuilt.lora_alpha == 6


def test_einsum_lora_factor_shapes_follow_the_kernel():
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4))
    layer.build((None, 5, 3))
    layer.enable_lora(3)
    assert tuple(layer.lora_kernel_a.shape) == (3, 2, 3)
    assert tuple(layer.lora_kernel_b.shape) == (3, 4)
    assert tuple(layer(torch.ones(1, 5, 3)).shape) == (1, 5, 2, 4)


def _mlp():
    inputs = lamina.Input((6,), name="features")
    hidden = layers.Dense(5, activation="relu", name="hidden")(inputs)
    return lamina.Model(inputs, layers.Dense(3, name="head")(hidden), name="mlp")


@pytest.mark.parametrize("case", ["int8", "int4", "int4_block2"])
def test_qlora_matches_keras_and_saves_the_requantized_merge(case, tmp_path):
    model = _mlp()
    for variable in model.weights:
        variable.assign(REFERENCE[f"qlora/start/{variable.path}"])
    config = lamina.quantizers.Int4QuantizationConfig(block_size=2) if case == "int4_block2" \
        else None
    model.quantize(case[:4], config=config)
    for name in ("hidden", "head"):
        model.get_layer(name).enable_lora(2)
    for variable in model.weights:
        if "lora" in variable.path:
            variable.assign(np.linspace(-0.3, 0.3, variable.numel()).reshape(
                tuple(variable.shape)).astype("float32"))
    assert [v.path for v in model.trainable_weights] == [
        "hidden/bias", "hidden/lora_kernel_a", "hidden/lora_kernel_b",
        "head/bias", "head/lora_kernel_a", "head/lora_kernel_b"]
    model.compile(optimizer=lamina.optimizers.Adam(0.01), loss="mse")
    x, y = REFERENCE["qlora/x"], REFERENCE["qlora/y"]
    losses = [model.train_on_batch(x, y) for _ in range(3)]
    np.testing.assert_allclose(losses, REFERENCE[f"qlora_{case}/losses"], rtol=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), REFERENCE[f"qlora_{case}/predict"],
                               rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "qlora.keras")
    for path in (tmp_path / "qlora.keras", FIXTURES / f"qlora_{case}.keras"):
        reloaded = lamina.saving.load_model(path)
        np.testing.assert_allclose(reloaded.predict(x, verbose=0),
                                   REFERENCE[f"qlora_{case}/reloaded"], rtol=1e-5, atol=1e-6)


def test_lora_refusals():
    unbuilt = layers.Dense(2)
    with pytest.raises(ValueError, match="isn't yet built"):
        unbuilt.enable_lora(2)
    constrained = layers.Dense(2, kernel_constraint="max_norm")
    constrained.build((None, 3))
    with pytest.raises(ValueError, match="incompatible with kernel constraints"):
        constrained.enable_lora(2)
    layer = layers.Dense(2)
    layer.build((None, 3))
    layer.enable_lora(1)
    with pytest.raises(ValueError, match="already enabled"):
        layer.enable_lora(1)
    with pytest.raises(NotImplementedError, match="LoRA enabled"):
        layer.quantize("int8")
    quantized = layers.Embedding(5, 3)
    quantized.build()
    quantized.quantize("int8")
    with pytest.raises(NotImplementedError, match="Embedding layers that are float;"):
        quantized.enable_lora(1)
    with pytest.raises(ValueError, match="positive integer"):
        layers.Embedding(5, 2, lora_rank=0)
