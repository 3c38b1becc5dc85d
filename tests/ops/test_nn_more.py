"""The convolution, pooling, normalisation, attention, rearrangement and CTC ops of lamina.ops.nn.

Reference literals marked "Keras" were produced with Keras 3.15.1 on the JAX backend; the rest
check formulas against numpy.
"""

import numpy as np
import pytest
import torch

from lamina import ops
from lamina import Input

R = np.linspace(-1, 1, 2 * 5 * 4 * 3).astype("float32").reshape(2, 5, 4, 3)
K = np.cos(np.arange(3 * 3 * 3 * 2)).astype("float32").reshape(3, 3, 3, 2)


def close(actual, expected, atol=1e-4):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), atol=atol, rtol=1e-4)


def test_the_new_ops_are_flat_and_in_nn():
    for name in ("conv", "max_pool", "layer_normalization", "sparsemax", "dot_product_attention",
                 "depth_to_space", "unfold", "ctc_loss", "psnr", "polar"):
        assert getattr(ops, name) is getattr(ops.nn, name)


# ---- convolution and pooling ---------------------------------------------------------------------

def test_conv_same_strided_matches_keras():
    expected = [[-0.7195, -0.42616], [-0.42572, -0.2177], [-0.16468, -0.09226]]  # Keras
    close(ops.conv(R, K, strides=2, padding="same")[0, ..., 0], expected)


def test_conv_channels_first_and_grouped():
    out = ops.conv(np.moveaxis(R, -1, 1), K, data_format="channels_first")
    close(np.moveaxis(out.numpy(), 1, -1), ops.conv(R, K))
    grouped = ops.conv(R, np.ones((1, 1, 1, 3), "float32"))  # groups=3, one filter each
    close(grouped, R)


def test_conv_transpose_same_strided_matches_keras():
    kernel = np.cos(np.arange(3 * 3 * 2 * 3)).astype("float32").reshape(3, 3, 2, 3)
    expected = [[-1.12906, -1.56079, -2.94057, -1.4817], [-2.02677, -2.0239, -3.78285, -1.91992],
                [-2.4499, -2.35648, -4.38826, -2.21915],
                [-1.61189, -1.60797, -2.98413, -1.50399]]  # Keras
    out = ops.conv_transpose(R[:, :2, :2], kernel, strides=2, padding="same")
    assert out.shape == (2, 4, 4, 2)
    close(out[0, ..., 0], expected)


def test_depthwise_and_separable_conv():
    expected = [[-2.48081, -2.25976], [-1.5966, -1.37555], [-0.7124, -0.49134]]  # Keras
    close(ops.depthwise_conv(R, K[..., :1])[0, ..., 1], expected)
    pointwise = np.arange(3 * 4, dtype="float32").reshape(1, 1, 3, 4)
    separable = ops.separable_conv(R, K[..., :1], pointwise)
    close(separable, np.einsum("bhwc,cd->bhwd", ops.depthwise_conv(R, K[..., :1]).numpy(),
                               pointwise[0, 0]))


def test_pooling():
    expected = [[-0.87395, -0.77311], [-0.47059, -0.36975], [-0.16807, -0.06723]]  # Keras
    close(ops.average_pool(R[..., :1], 2, strides=2, padding="same")[0, ..., 0], expected)
    x = np.arange(12, dtype="float32").reshape(1, 3, 4, 1)
    close(ops.max_pool(x, 2)[0, ..., 0], [[5, 7]])
    assert ops.max_pool(x, 2, padding="same").shape == (1, 2, 2, 1)


def test_adaptive_pooling():
    x = np.arange(10, dtype="float32").reshape(1, 10, 1)
    close(ops.adaptive_average_pool(x, 2)[0, :, 0], [2, 7])
    close(ops.adaptive_max_pool(x, 3)[0, :, 0], [3, 6, 9])
    y = np.arange(2 * 3 * 4 * 6, dtype="float32").reshape(2, 3, 4, 6)
    out = ops.adaptive_average_pool(y, (2, 3), data_format="channels_first")
    close(out, y.reshape(2, 3, 2, 2, 3, 2).mean(axis=(3, 5)))


# ---- normalisation and activations ---------------------------------------------------------------

def test_layer_normalization():
    close(ops.layer_normalization(np.arange(5, dtype="float32")),
          [-1.4142135, -0.70710677, 0.0, 0.7071067, 1.4142135])
    x = R[0]
    gamma, beta = np.full((4, 3), 2.0, "float32"), np.ones((4, 3), "float32")
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    close(ops.layer_normalization(x, gamma, beta, axis=(-2, -1)),
          (x - mean) / np.sqrt(var + 1e-7) * 2 + 1)
    half = ops.layer_normalization(torch.tensor(x, dtype=torch.float16))
    assert half.dtype == torch.float16


def test_rms_normalization_and_batch_normalization():
    x = R[0]
    close(ops.rms_normalization(x, scale=2.0),
          x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-7) * 2)
    mean, var = np.array([0.1, 0.2, 0.3], "float32"), np.array([1.0, 2.0, 0.5], "float32")
    close(ops.batch_normalization(x, mean, var, -1, offset=1.0 + mean, scale=3 * var),
          (x - mean) / np.sqrt(var + 1e-3) * 3 * var + 1 + mean)


def test_sparse_sigmoid_sparsemax_polar_psnr():
    close(ops.sparse_sigmoid(np.array([-6.0, 1.0, 0.0, -0.5, 6.0])), [0, 1, 0.5, 0.25, 1])
    close(ops.sparsemax(np.array([-1.0, 0.0, 1.0])), [0, 0, 1])
    close(ops.sparsemax(np.array([[0.3, -1.2, 2.0, 1.5, 0.1]]), axis=-1),
          [[0, 0, 0.75, 0.25, 0]])
    z = ops.polar(np.array([1.0, 2.0]), np.array([0.0, np.pi / 2]))
    assert z.dtype == torch.complex64
    close(torch.view_as_real(z), [[1, 0], [0, 2]], atol=1e-6)
    a, b = np.zeros((2, 3), "float32"), np.full((2, 3), 0.5, "float32")
    close(ops.psnr(a, b, 1.0), 20 * np.log10(1.0) - 10 * np.log10(0.25))


# ---- attention -----------------------------------------------------------------------------------

def _attention_reference(q, k, v, mask=None, causal=False):
    logits = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(q.shape[-1])
    if causal:
        mask = np.tril(np.ones(logits.shape[-2:], bool))
    if mask is not None:
        logits = np.where(mask, logits, -1e30)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", weights, v)


def test_dot_product_attention():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 4, 2, 8)).astype("float32") for _ in range(3))
    close(ops.dot_product_attention(q, k, v), _attention_reference(q, k, v))
    close(ops.dot_product_attention(q, k, v, is_causal=True),
          _attention_reference(q, k, v, causal=True))
    mask = rng.random((2, 2, 4, 4)) > 0.3
    mask[..., 0] = True
    close(ops.dot_product_attention(q, k, v, mask=mask), _attention_reference(q, k, v, mask))
    grouped = ops.dot_product_attention(q, k[:, :, :1], v[:, :, :1])  # 2 query heads share 1
    close(grouped, _attention_reference(q, np.repeat(k[:, :, :1], 2, 2),
                                        np.repeat(v[:, :, :1], 2, 2)))
    assert ops.dot_product_attention(q[0], k[0], v[0]).shape == (4, 2, 8)


# ---- rearrangements ------------------------------------------------------------------------------

def test_depth_to_space_and_back():
    x = np.arange(2 * 2 * 3 * 8, dtype="float32").reshape(2, 2, 3, 8)
    y = ops.depth_to_space(x, 2)
    assert y.shape == (2, 4, 6, 2)
    # channels_last blocks are (row, column, channel) ordered, as in TensorFlow
    close(y[0, :2, :2, 0], [[0, 2], [4, 6]])
    close(ops.space_to_depth(y, 2), x)
    xc = np.moveaxis(x, -1, 1)
    close(ops.space_to_depth(ops.depth_to_space(xc, 2, data_format="channels_first"), 2,
                             data_format="channels_first"), xc)


def test_unfold_and_fold():
    x = np.arange(2 * 4 * 4, dtype="float32").reshape(1, 2, 4, 4)
    patches = ops.unfold(x, kernel_size=2, stride=2)
    assert patches.shape == (1, 8, 4)
    close(patches[0, :4, 0], [0, 1, 4, 5])
    close(ops.fold(patches, (4, 4), 2, stride=2), x)


# ---- CTC -----------------------------------------------------------------------------------------

def test_ctc_loss_and_greedy_decode():
    logits = np.sin(np.arange(2 * 6 * 5)).astype("float32").reshape(2, 6, 5)
    loss = ops.ctc_loss(np.array([[1, 2, 2], [3, 1, 0]]), logits, np.array([3, 2]),
                        np.array([6, 5]))
    close(loss, [6.0944, 3.78747])  # Keras
    scores = np.full((1, 5, 3), -5.0, "float32")
    for t, c in enumerate([1, 1, 0, 2, 1]):
        scores[0, t, c] = 0.0
    decoded, log_prob = ops.ctc_decode(scores, np.array([5]))
    assert decoded.shape == (1, 1, 5)
    assert decoded[0, 0].tolist() == [1, 2, 1, -1, -1]
    close(log_prob, [[0.0]])


def test_nn_ops_take_keras_tensors():
    x = Input((8, 8, 3))
    assert ops.conv(x, np.ones((3, 3, 3, 4), "float32"), padding="same").shape == (None, 8, 8, 4)
    assert ops.max_pool(x, 2).shape == (None, 4, 4, 3)
    assert ops.space_to_depth(x, 2).shape == (None, 4, 4, 12)
