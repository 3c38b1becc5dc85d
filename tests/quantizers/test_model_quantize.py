"""`model.quantize` / `layer.quantize` ("int8", "int4") against Keras 3.

The reference files in tests/fixtures/quantize/ were written by Keras (see
make_quantize_fixtures.py there): float models, the same models quantized by Keras, their
outputs and every quantized variable.
"""

import pathlib
import warnings

import numpy as np
import pytest
import torch

import lamina
from lamina import layers, quantizers
from lamina.quantizers.layer_quantization import int8_matmul

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "quantize"
REFERENCE = np.load(FIXTURES / "reference.npz")

CASES = {
    "int8": lambda: {"mode": "int8"},
    "int8_weight_only": lambda: {"config": quantizers.Int8QuantizationConfig(
        activation_quantizer=None)},
    "int4": lambda: {"mode": "int4"},
    "int4_block4": lambda: {"config": quantizers.Int4QuantizationConfig(block_size=4)},
    "int4_per_channel": lambda: {"config": quantizers.Int4QuantizationConfig(block_size=None)},
}
PARAMS = [(model, case) for model in ("mlp", "tokens") for case in CASES]


def _load(name):
    return lamina.saving.load_model(FIXTURES / f"{name}.keras")


def _predict(model, name):
    return np.asarray(model.predict(REFERENCE[f"{name}/inputs"], verbose=0))


@pytest.mark.parametrize("model_name, case", PARAMS)
def test_quantize_gives_kerass_variables_policies_and_outputs(model_name, case):
    model = _load(f"{model_name}_float")
    model.quantize(**CASES[case]())
    key = f"{model_name}_{case}"
    for layer in model.layers:
        for variable in layer.weights:
            expected = REFERENCE[f"{key}/{variable.path}"]
            actual = variable.detach().numpy()
            assert actual.dtype == expected.dtype, variable.path
            np.testing.assert_array_equal(actual, expected, err_msg=variable.path)
        if layer.weights:
            assert layer.dtype_policy.name == str(REFERENCE[f"{key}/{layer.name}/policy"])
    np.testing.assert_allclose(_predict(model, model_name), REFERENCE[f"{key}/outputs"],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("model_name, case", PARAMS)
def test_a_model_quantized_by_keras_loads_with_kerass_outputs(model_name, case):
    key = f"{model_name}_{case}"
    model = _load(key)
    assert model.layers[-1].quantization_mode == case[:4]
    np.testing.assert_allclose(_predict(model, model_name), REFERENCE[f"{key}/outputs"],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["int8", "int4"])
def test_lamina_save_and_load_round_trip(tmp_path, mode):
    model = _load("tokens_float")
    model.quantize(mode)
    outputs = _predict(model, "tokens")
    model.save(tmp_path / "q.keras")
    loaded = lamina.saving.load_model(tmp_path / "q.keras")
    np.testing.assert_array_equal(_predict(loaded, "tokens"), outputs)
    config = loaded.get_layer("heads").get_config()
    assert config["dtype"]["class_name"] == ("QuantizedDTypePolicy" if mode == "int8"
                                             else "Int4DTypePolicy")
    assert config["quantization_config"]["class_name"] == (
        "Int8QuantizationConfig" if mode == "int8" else "Int4QuantizationConfig")
    # weights alone, into a model quantized the same way
    model.save_weights(tmp_path / "q.weights.h5")
    fresh = _load("tokens_float")
    fresh.quantize(mode)
    with torch.no_grad():
        for variable in fresh.weights:
            variable.zero_()
    fresh.load_weights(tmp_path / "q.weights.h5")
    np.testing.assert_array_equal(_predict(fresh, "tokens"), outputs)


def test_int8_dense_follows_kerass_formula():
    """Inputs quantized per row, kernel per column, an integer product, both scales divided."""
    rng = np.random.default_rng(3)
    kernel = rng.normal(size=(5, 3)).astype("float32")
    x = rng.normal(size=(4, 5)).astype("float32")
    layer = layers.Dense(3, use_bias=False)
    layer.build((None, 5))
    layer.set_weights([kernel])
    layer.quantize("int8")
    eps = np.float32(1e-7)
    kernel_scale = np.float32(127) / (np.abs(kernel).max(axis=0) + eps)
    kernel_q = np.clip(np.round(kernel * kernel_scale), -127, 127).astype(np.int64)
    x_scale = np.float32(127) / (np.abs(x).max(axis=1, keepdims=True) + eps)
    x_q = np.clip(np.round(x * x_scale), -127, 127).astype(np.int64)
    expected = (x_q @ kernel_q).astype("float32") / (kernel_scale * x_scale)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-6)
    assert layer.kernel.dtype == torch.int8 and tuple(layer.kernel_scale.shape) == (3,)


def test_int8_matmul_is_exact():
    a = torch.randint(-127, 128, (7, 300), dtype=torch.int8)
    b = torch.randint(-127, 128, (300, 9), dtype=torch.int8)
    expected = a.to(torch.int64) @ b.to(torch.int64)
    assert torch.equal(int8_matmul(a, b).to(torch.int64), expected)
    assert torch.equal(int8_matmul(a.reshape(7, 1, 300), b).reshape(7, 9).to(torch.int64),
                       expected)


def test_weights_take_int8_storage_and_memory_drops():
    model = lamina.Sequential([lamina.Input((64,)), layers.Dense(128), layers.Dense(64)])
    before = sum(w.numel() * w.element_size() for w in model.weights)
    model.quantize("int8")
    after = sum(w.numel() * w.element_size() for w in model.weights)
    assert all(layer.kernel.dtype == torch.int8 for layer in model.layers)
    assert not any(layer.kernel.requires_grad for layer in model.layers)
    assert after < 0.3 * before
    model4 = lamina.Sequential([lamina.Input((64,)), layers.Dense(128), layers.Dense(64)])
    model4.quantize("int4")
    packed = sum(w.numel() * w.element_size() for w in model4.weights)
    assert packed < 0.2 * before


def test_gradients_reach_the_inputs_through_the_dequantized_kernel():
    layer = layers.Dense(4)
    layer.build((None, 3))
    layer.quantize("int8")
    x = torch.randn(2, 3, requires_grad=True)
    layer(x).sum().backward()
    float_kernel = layer.kernel.to(torch.float32) / layer.kernel_scale
    torch.testing.assert_close(x.grad, float_kernel.sum(dim=1).expand(2, 3))
    assert layer.bias.requires_grad


def test_a_layer_built_from_a_quantized_policy():
    layer = layers.Dense(6, dtype="int4/2_from_float32")
    layer.build((None, 5))
    assert layer.quantization_mode == "int4"
    shapes = {name: tuple(v.shape) for name, v in layer.named_parameters()}
    assert shapes == {"kernel": (5, 3), "kernel_scale": (3, 6), "kernel_zero": (3, 6),
                      "g_idx": (5,), "bias": (6,)}
    embedding = layers.Embedding(10, 4, dtype="int8_from_float32")
    embedding.build()
    assert embedding.embeddings.dtype == torch.int8
    assert tuple(embedding.embeddings_scale.shape) == (10,)


def test_refusals():
    unbuilt = lamina.Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match="isn't yet built"):
        unbuilt.quantize("int8")
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(3)])
    with pytest.raises(ValueError, match="Invalid quantization mode.*mode=int9"):
        model.quantize("int9")
    with pytest.raises(ValueError, match="either `mode` or `config`"):
        model.quantize()
    with pytest.raises(ValueError, match="Contradictory arguments"):
        model.quantize("int8", config=quantizers.Int4QuantizationConfig())
    with pytest.raises(ValueError, match="must be an instance of `QuantizationConfig`"):
        model.quantize(config=3)
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        model.quantize("int8", typecheck=False)
    model.quantize("int8")
    with pytest.raises(ValueError, match="already quantized with dtype_policy='int8_from_"):
        model.quantize("int8")
    with pytest.raises(ValueError, match="already quantized"):
        model.layers[0].quantize("int4")


def test_layers_that_cannot_be_quantized():
    class MyDense(layers.Dense):
        pass

    custom = MyDense(2)
    custom.build((None, 3))
    with pytest.raises(NotImplementedError, match="type_check=False"):
        custom.quantize("int8")
    custom.quantize("int8", type_check=False)
    assert custom.quantization_mode == "int8"
    model = lamina.Sequential([lamina.Input((4, 4, 1)), layers.Conv2D(2, 3), layers.Flatten(),
                               layers.Dropout(0.1), layers.Dense(2)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.quantize("int8")
    assert [str(w.message) for w in caught] == [
        "Layer Conv2D does not have a `quantize` method implemented."]
    assert model.layers[-1].quantization_mode == "int8"


def test_filters_choose_the_layers():
    def build():
        return lamina.Sequential([lamina.Input((4,)), layers.Dense(3, name="keep"),
                                  layers.Dense(2, name="quantize_me")])

    for filters in ("quantize", ["^quantize"], lambda layer: layer.name.startswith("q")):
        model = build()
        model.quantize("int8", filters=filters)
        assert [layer.quantization_mode for layer in model.layers] == [None, "int8"]
    with pytest.raises(ValueError, match="`filters` argument"):
        build().quantize("int8", filters=3)


def test_einsum_dense_with_ellipsis_matches_the_float_layer_closely():
    layer = layers.EinsumDense("...b,bc->...c", output_shape=6, bias_axes="c")
    x = torch.randn(2, 3, 5)
    reference = layer(x).detach()
    layer.quantize("int8")
    assert tuple(layer.kernel_scale.shape) == (1, 1, 6)
    torch.testing.assert_close(layer(x).detach(), reference, rtol=0.05, atol=0.05)
