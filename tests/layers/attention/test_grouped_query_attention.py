"""GroupQueryAttention against Keras 3: same weights (names, shapes, order), same outputs and
scores with Keras's weights, same config (recorded by
tests/fixtures/keras_api_more/make_fixtures.py)."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina import layers

FIXTURES = pathlib.Path(__file__).parents[2] / "fixtures" / "keras_api_more"
KERAS = np.load(FIXTURES / "keras_api_more.npz")
CONFIGS = json.loads((FIXTURES / "keras_api_more.json").read_text())

CASES = {  # as in make_fixtures.py
    "self": (dict(head_dim=4, num_query_heads=4, num_key_value_heads=2), {}),
    "gated_cross": (dict(head_dim=3, num_query_heads=3, num_key_value_heads=1, use_gate=True,
                         use_bias=False), {}),
    "causal_window": (dict(head_dim=2, num_query_heads=4, num_key_value_heads=4,
                           sliding_window=2), {"use_causal_mask": True}),
    "causal": (dict(head_dim=2, num_query_heads=2, num_key_value_heads=1),
               {"use_causal_mask": True}),
    "masked": (dict(head_dim=2, num_query_heads=4, num_key_value_heads=2), {}),
}


def keras_layer(case):
    """The layer of `case` with Keras's weights, and its call arguments."""
    kwargs, call = CASES[case]
    layer = layers.GroupQueryAttention(
        **kwargs, name=f"gqa_{case}", kernel_initializer=lamina.initializers.GlorotUniform(1),
        bias_initializer=lamina.initializers.RandomNormal(seed=2))
    inputs = {name: KERAS[f"gqa/{case}/{name}"] for name in ("query", "value", "key")
              if f"gqa/{case}/{name}" in KERAS}
    layer.build(inputs["query"].shape, inputs["value"].shape,
                inputs.get("key", inputs["value"]).shape)
    count = sum(key.startswith(f"gqa/{case}/weight_") for key in KERAS.files)
    layer.set_weights([KERAS[f"gqa/{case}/weight_{i}"] for i in range(count)])
    call = dict(call)
    if f"gqa/{case}/attention_mask" in KERAS:
        call["attention_mask"] = torch.as_tensor(KERAS[f"gqa/{case}/attention_mask"])
    return layer, inputs, call


@pytest.mark.parametrize("case", sorted(CASES))
def test_weights_are_named_and_shaped_as_keras(case):
    layer, _, _ = keras_layer(case)
    assert [w.path for w in layer.weights] == CONFIGS[f"gqa/{case}/weight_paths"]
    for index, weight in enumerate(layer.weights):
        assert tuple(weight.shape) == KERAS[f"gqa/{case}/weight_{index}"].shape


@pytest.mark.parametrize("case", sorted(CASES))
def test_outputs_and_scores_match_keras(case):
    layer, inputs, call = keras_layer(case)
    query = inputs.pop("query")
    output, scores = layer(query, **inputs, **call, return_attention_scores=True)
    np.testing.assert_allclose(output.detach(), KERAS[f"gqa/{case}/output"], atol=2e-6)
    np.testing.assert_allclose(scores.detach(), KERAS[f"gqa/{case}/scores"], atol=2e-6)
    fused = layer(query, **inputs, **call)  # the dot_product_attention path
    np.testing.assert_allclose(fused.detach(), KERAS[f"gqa/{case}/fused_output"], atol=2e-6)


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_is_keras(case):
    layer, _, _ = keras_layer(case)
    assert layer.get_config() == CONFIGS[f"gqa/{case}/config"]
    again = layers.GroupQueryAttention.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()


def test_default_name_is_keras():
    assert layers.GroupQueryAttention(2, 2, 1).name == "grouped_query_attention"


def test_symbolic_model_and_scores_shape():
    query, value = lamina.Input((4, 6)), lamina.Input((5, 3))
    layer = layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    output, scores = layer(query, value, return_attention_scores=True)
    assert output.shape == (None, 4, 6) and scores.shape == (None, 4, 4, 5)
    model = lamina.Model([query, value], output)
    x = [np.ones((2, 4, 6), "float32"), np.ones((2, 5, 3), "float32")]
    assert model.predict(x, verbose=0).shape == (2, 4, 6)


def test_keras_masks_of_the_inputs_are_used():
    tokens = np.array([[1, 2, 0, 0]])
    embedded = layers.Embedding(5, 6, mask_zero=True)(tokens)
    layer = layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    _, scores = layer(embedded, embedded, return_attention_scores=True)
    assert torch.all(scores[..., 2:] == 0)  # padded keys get no attention
    assert torch.all(scores[:, :, 2:] == 0)  # padded queries attend nowhere


def test_dropout_applies_in_training_only():
    layer = layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1,
                                       dropout=0.5, seed=1)
    x = torch.randn(2, 3, 4)
    assert torch.equal(layer(x, x), layer(x, x))
    assert not torch.equal(layer(x, x, training=True), layer(x, x))


@pytest.mark.parametrize("kwargs, message", [
    (dict(head_dim=2, num_query_heads=3, num_key_value_heads=2), "divisible"),
    (dict(head_dim=0, num_query_heads=2, num_key_value_heads=1), "head_dim=0"),
    (dict(head_dim=2, num_query_heads=2, num_key_value_heads=1, sliding_window=0),
     "sliding_window=0"),
    (dict(head_dim=2, num_query_heads=2, num_key_value_heads=1, dropout=0.1,
          flash_attention=True), "flash attention"),
])
def test_invalid_arguments_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.GroupQueryAttention(**kwargs)


def test_serialized_class_name_is_keras():
    layer, _, _ = keras_layer("self")
    serialized = lamina.utils.serialize_keras_object(layer)
    assert serialized["class_name"] == CONFIGS["gqa/self/serialized_class_name"]
    assert isinstance(lamina.layers.deserialize(serialized), layers.GroupQueryAttention)


def test_weights_file_paths_are_keras(tmp_path):
    h5py = pytest.importorskip("h5py")
    query = lamina.Input((4, 6))
    layer = layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    model = lamina.Model(query, layer(query, query))
    model.save_weights(tmp_path / "gqa.weights.h5")
    with h5py.File(tmp_path / "gqa.weights.h5") as f:
        assert "layers/grouped_query_attention/_query_dense/vars/0" in f
