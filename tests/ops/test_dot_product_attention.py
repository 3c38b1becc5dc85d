"""ops.dot_product_attention against a NumPy formula (softmax(q k^T * scale + bias) v), on the
fused-kernel path (no mask) and the explicit path (mask, soft cap), and the flash switches."""

import numpy as np
import pytest

from lamina import config, ops


def _reference(q, k, v, bias=None, mask=None, scale=None, is_causal=False, soft_cap=None):
    q, k, v = (np.swapaxes(t, 1, 2).astype(np.float64) for t in (q, k, v))  # (B, N, T, H)
    groups = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, groups, axis=1), np.repeat(v, groups, axis=1)
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    logits = q @ np.swapaxes(k, -1, -2) * scale
    if soft_cap is not None:
        logits = np.tanh(logits / soft_cap) * soft_cap
    if bias is not None:
        logits = logits + bias
    allowed = np.ones(logits.shape[-2:], bool) if mask is None else mask
    if is_causal:
        allowed = allowed & np.tril(np.ones(logits.shape[-2:], bool))
    logits = np.where(allowed, logits, -1e30)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return np.swapaxes(weights @ v, 1, 2)


RNG = np.random.default_rng(0)
Q = RNG.normal(size=(2, 5, 4, 8)).astype("float32")
K = RNG.normal(size=(2, 6, 4, 8)).astype("float32")
V = RNG.normal(size=(2, 6, 4, 8)).astype("float32")
BIAS = RNG.normal(size=(2, 4, 5, 6)).astype("float32")
MASK = RNG.random((2, 4, 5, 6)) > 0.3


@pytest.mark.parametrize("kwargs", [
    {}, {"scale": 0.5}, {"bias": BIAS}, {"mask": MASK}, {"mask": MASK, "bias": BIAS},
    {"attn_logits_soft_cap": 2.0},
], ids=["plain", "scale", "bias", "mask", "mask+bias", "soft_cap"])
def test_matches_the_formula(kwargs):
    out = ops.dot_product_attention(Q, K, V, **kwargs)
    expected = _reference(Q, K, V, bias=kwargs.get("bias"), mask=kwargs.get("mask"),
                          scale=kwargs.get("scale"), soft_cap=kwargs.get("attn_logits_soft_cap"))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_causal_grouped_and_unbatched():
    q = RNG.normal(size=(6, 4, 8)).astype("float32")
    kv = RNG.normal(size=(6, 2, 8)).astype("float32")  # 2 key heads shared by 4 query heads
    out = ops.dot_product_attention(q, kv, kv, is_causal=True)
    expected = _reference(q[None], kv[None], kv[None], is_causal=True)[0]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)
    bias = RNG.normal(size=(4, 6, 6)).astype("float32")
    with_bias = ops.dot_product_attention(q, kv, kv, is_causal=True, bias=bias)
    expected = _reference(q[None], kv[None], kv[None], is_causal=True, bias=bias[None])[0]
    np.testing.assert_allclose(with_bias.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_flash_switches():
    try:
        config.disable_flash_attention()
        assert config.is_flash_attention_enabled() is False
        np.testing.assert_allclose(ops.dot_product_attention(Q, K, V).numpy(),
                                   _reference(Q, K, V), rtol=1e-5, atol=1e-5)
        config.enable_flash_attention()
        with pytest.raises(ValueError, match="CUDA device, float16/bfloat16"):
            ops.dot_product_attention(Q, K, V)  # float32 on CPU: the flash kernel cannot run
        with pytest.raises(ValueError, match="mask"):
            ops.dot_product_attention(Q, K, V, mask=MASK, flash_attention=True)
    finally:
        config._FLASH_ATTENTION = None
    assert config.is_flash_attention_enabled() is None
