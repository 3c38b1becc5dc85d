"""Shapes, paths, gradients, configs and errors of the attention layers."""

import json

import numpy as np
import pytest
import torch

import lamina
from lamina.layers import attention
from lamina.layers.attention import multi_head_attention

Q, V = torch.randn(2, 4, 6), torch.randn(2, 5, 3)


@pytest.fixture
def sdpa_calls(monkeypatch):
    calls = []
    original = multi_head_attention.F.scaled_dot_product_attention

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(multi_head_attention.F, "scaled_dot_product_attention", spy)
    return calls


# ---------------------------------------------------------------------- MultiHeadAttention
def test_weights_in_keras_order_and_layout():
    layer = attention.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=7)
    layer(Q, V)
    # Keras paths nest the sublayers under the layer: multi_head_attention/query/kernel
    prefix = layer.name + "/"
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [
        (prefix + "query/kernel", (6, 2, 3)), (prefix + "query/bias", (2, 3)),
        (prefix + "key/kernel", (3, 2, 3)), (prefix + "key/bias", (2, 3)),
        (prefix + "value/kernel", (3, 2, 4)), (prefix + "value/bias", (2, 4)),
        (prefix + "attention_output/kernel", (2, 4, 7)), (prefix + "attention_output/bias", (7,)),
    ]
    assert layer.query_dense.kernel is layer.weights[0]
    # glorot_uniform counts fans over the kernel's input and output axes, as Keras's EinsumDense
    limit = np.sqrt(6 / (6 + 2 * 3))
    kernel = layer.query_dense.kernel.detach()
    assert float(kernel.abs().max()) <= limit and float(kernel.abs().max()) > 0.6 * limit


ATTENTION_MASK = torch.rand(2, 4, 5, generator=torch.Generator().manual_seed(1)) > 0.4
ATTENTION_MASK[..., 0] = True  # fully masked rows differ between Keras's two paths (see module)


@pytest.mark.parametrize("kwargs", [
    {}, {"attention_mask": ATTENTION_MASK}, {"value_mask": ATTENTION_MASK[:, 0]},
])
def test_fused_path_equals_explicit_scores_path(kwargs, sdpa_calls):
    layer = attention.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=5)
    fused = layer(Q, V, **kwargs)
    assert len(sdpa_calls) == 1
    explicit, scores = layer(Q, V, return_attention_scores=True, **kwargs)
    assert len(sdpa_calls) == 1  # scores are computed explicitly
    torch.testing.assert_close(fused, explicit, atol=1e-6, rtol=0)
    assert tuple(scores.shape) == (2, 3, 4, 5)
    torch.testing.assert_close(scores.sum(-1), torch.ones(2, 3, 4))


def test_causal_mask_alone_uses_the_fused_causal_flag(sdpa_calls):
    layer = attention.MultiHeadAttention(num_heads=2, key_dim=3)
    x = torch.randn(2, 5, 6)
    output = layer(x, x, use_causal_mask=True)
    assert sdpa_calls[-1]["is_causal"] is True and sdpa_calls[-1]["attn_mask"] is None
    # position t must not depend on later positions
    changed = x.clone()
    changed[:, 3:] += 1.0
    torch.testing.assert_close(layer(changed, changed, use_causal_mask=True)[:, :3],
                               output[:, :3])


@pytest.mark.parametrize("query_shape, value_shape", [((4, 6), (5, 3)), ((None, 6), (None, 3))])
def test_symbolic_shapes(query_shape, value_shape):
    query, value = lamina.Input(shape=query_shape), lamina.Input(shape=value_shape)
    layer = attention.MultiHeadAttention(2, 3)
    assert layer(query, value).shape == (None, query_shape[0], 6)
    output, scores = layer(query, value, return_attention_scores=True)
    assert scores.shape == (None, 2, query_shape[0], value_shape[0])
    shaped = attention.MultiHeadAttention(2, 3, output_shape=(2, 5))(query, value)
    assert shaped.shape == (None, query_shape[0], 2, 5)


def test_attention_over_several_axes_with_eager_and_symbolic_shapes():
    layer = attention.MultiHeadAttention(2, 3, attention_axes=(1, 2))
    x = torch.randn(2, 3, 4, 5)
    output, scores = layer(x, x, return_attention_scores=True)
    assert tuple(output.shape) == (2, 3, 4, 5) and tuple(scores.shape) == (2, 2, 3, 4, 3, 4)
    torch.testing.assert_close(layer(x, x), output, atol=1e-6, rtol=0)
    symbolic = lamina.Input(shape=(3, 4, 5))
    assert layer(symbolic, symbolic, return_attention_scores=True)[1].shape == \
        (None, 2, 3, 4, 3, 4)


def test_query_mask_is_passed_on_and_masks_combine():
    ids = torch.tensor([[3, 1, 4, 0], [2, 7, 1, 8]])
    embedded = lamina.layers.Embedding(10, 6, mask_zero=True)(ids)
    layer = attention.MultiHeadAttention(2, 3)
    output = layer(embedded, embedded)
    torch.testing.assert_close(output._keras_mask, ids != 0)
    mask = (ids != 0)
    explicit = layer(embedded.detach(), embedded.detach(),
                     attention_mask=mask[:, :, None] & mask[:, None, :])
    torch.testing.assert_close(output, explicit)


def test_dropout_applies_only_in_training():
    layer = attention.MultiHeadAttention(2, 3, dropout=0.5)
    reference = layer(Q, V)
    torch.testing.assert_close(layer(Q, V, training=False), reference)
    assert not torch.allclose(layer(Q, V, training=True), reference)


def test_gradients_reach_every_multi_head_attention_weight():
    layer = attention.MultiHeadAttention(2, 3, value_dim=2)
    layer(Q, V, attention_mask=torch.rand(2, 4, 5) > 0.2).square().sum().backward()
    for weight in layer.trainable_weights:
        assert weight.grad is not None and weight.grad.abs().sum() > 0, weight.path


def test_transformer_block_trains_in_a_functional_model():
    inputs = lamina.Input(shape=(6,), dtype="int32")
    x = lamina.layers.Embedding(20, 8, mask_zero=True)(inputs)
    x = attention.MultiHeadAttention(2, 4)(x, x, use_causal_mask=True)
    outputs = lamina.layers.Dense(1)(lamina.layers.Flatten()(x))
    model = lamina.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    tokens = np.random.randint(1, 20, size=(16, 6))
    targets = np.random.rand(16, 1).astype("float32")
    history = model.fit(tokens, targets, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("layer", [
    attention.MultiHeadAttention(2, 3, value_dim=4, dropout=0.1, output_shape=(2, 3),
                                 attention_axes=2, kernel_regularizer="l2", seed=3),
    attention.Attention(use_scale=True, score_mode="concat", dropout=0.2),
    attention.AdditiveAttention(use_scale=False, seed=1),
])
def test_config_round_trip(layer):
    config = layer.get_config()
    json.dumps(config)
    assert type(layer).from_config(config).get_config() == config


def test_built_multi_head_attention_rebuilds_from_its_build_config():
    layer = attention.MultiHeadAttention(2, 3)
    layer(Q, V)
    build_config = layer.get_build_config()
    assert build_config == {"shapes_dict": {"query_shape": [2, 4, 6], "value_shape": [2, 5, 3]}}
    clone = attention.MultiHeadAttention.from_config(layer.get_config())
    clone.build_from_config(build_config)
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(Q, V), layer(Q, V))


def test_multi_head_attention_errors():
    with pytest.raises(ValueError, match="`num_heads` as a positive integer. Received: num_h"):
        attention.MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match="`key_dim` as a positive integer"):
        attention.MultiHeadAttention(2, None)
    with pytest.raises(ValueError, match="needs `value`"):
        attention.MultiHeadAttention(2, 3)(Q)
    with pytest.raises(ValueError, match="except the last one, must be equal"):
        attention.MultiHeadAttention(2, 3)(Q, V, torch.randn(2, 6, 3))
    layer = attention.MultiHeadAttention(2, 3)
    layer(Q, V)
    with pytest.raises(ValueError, match='layer "key" is incompatible.*have value 3'):
        layer(Q, torch.randn(2, 5, 4))
    with pytest.raises(TypeError, match="Did you mean 'key_dim'"):
        attention.MultiHeadAttention(2, key_dims=3)


# ---------------------------------------------------------------------- Attention layers
@pytest.mark.parametrize("cls", [attention.Attention, attention.AdditiveAttention])
def test_dot_and_additive_attention_shapes_masks_and_gradients(cls):
    query, value = torch.randn(2, 4, 3), torch.randn(2, 5, 3)
    layer = cls(**({"use_scale": True} if cls is attention.Attention else {}))
    output, scores = layer([query, value], return_attention_scores=True)
    assert tuple(output.shape) == (2, 4, 3) and tuple(scores.shape) == (2, 4, 5)
    symbolic = layer([lamina.Input(shape=(4, 3)), lamina.Input(shape=(None, 3))],
                     return_attention_scores=True)
    assert [t.shape for t in symbolic] == [(None, 4, 3), (None, 4, None)]
    query_mask = torch.tensor([[1, 1, 0, 1], [1, 1, 1, 1]], dtype=torch.bool)
    value_mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    output, scores = layer([query, value], mask=[query_mask, value_mask],
                           return_attention_scores=True)
    assert torch.all(scores[0, :, 3:] == 0) and torch.all(output[0, 2] == 0)
    output.square().sum().backward()
    for weight in layer.trainable_weights:
        assert weight.grad is not None and weight.grad.abs().sum() > 0


def test_attention_masks_come_from_the_inputs_and_query_mask_is_passed_on():
    ids = torch.tensor([[3, 1, 0], [2, 7, 1]])
    embedded = lamina.layers.Embedding(10, 4, mask_zero=True)(ids)
    layer = attention.Attention()
    output = layer([embedded, embedded])
    torch.testing.assert_close(output._keras_mask, ids != 0)
    explicit = layer([embedded.detach(), embedded.detach()], mask=[ids != 0, ids != 0])
    torch.testing.assert_close(output, explicit)


def test_keras_2_causal_argument_is_accepted_with_a_warning():
    x = torch.randn(2, 4, 3)
    with pytest.warns(DeprecationWarning, match="use_causal_mask=True"):
        legacy = attention.Attention(causal=True)
    torch.testing.assert_close(legacy([x, x]), attention.Attention()([x, x],
                                                                     use_causal_mask=True))


def test_attention_errors():
    with pytest.raises(ValueError, match=r"called on a list of inputs, namely \[query, value\]"):
        attention.Attention()(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match="mask must be a list"):
        x = torch.randn(2, 3, 4)
        attention.Attention()([x, x], mask=torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="Invalid score_mode 'cosine'"):
        attention.Attention(score_mode="cosine")


def test_output_shape_of_a_built_layer():
    layer = attention.MultiHeadAttention(2, 3, output_shape=4)
    layer(Q, V)
    assert tuple(layer.output_shape)[1:] == (4, 4)
