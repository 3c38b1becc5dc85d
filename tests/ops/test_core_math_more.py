"""Segment reductions, FFTs, STFT, rearrange, control flow, custom gradients and linalg additions
of lamina.ops, checked against NumPy loops, numpy.fft and hand formulas."""

import numpy as np
import pytest
import torch

from lamina import ops


def _segment_reference(data, ids, num_segments, reduce, initial):
    out = np.full((num_segments,) + data.shape[1:], initial, dtype=data.dtype)
    for row, seg in zip(data, ids):
        if 0 <= seg < num_segments:
            out[seg] = reduce(out[seg], row)
    return out


@pytest.mark.parametrize("name, reduce, initial", [
    ("segment_sum", np.add, 0.0),
    ("segment_max", np.maximum, -np.inf),
    ("segment_min", np.minimum, np.inf),
    ("segment_prod", np.multiply, 1.0),
])
def test_segment_ops_match_a_numpy_loop(name, reduce, initial):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(7, 3)).astype("float32")
    ids = np.array([0, 0, 2, 2, 2, 4, -1])  # segment 1 and 3 are empty; -1 is dropped
    result = getattr(ops, name)(data, ids, num_segments=5)
    expected = _segment_reference(data, ids, 5, reduce, initial)
    np.testing.assert_allclose(ops.convert_to_numpy(result), expected, rtol=1e-6)


def test_segment_sum_keeps_int_dtype_and_infers_num_segments():
    result = ops.segment_sum(ops.convert_to_tensor([1, 2, 10, 20, 100, 200]),
                             ops.convert_to_tensor([0, 0, 1, 1, 2, 2]))
    assert result.dtype == torch.int32
    assert result.tolist() == [3, 30, 300]
    assert ops.segment_max(np.array([5, 1, 7], "int32"), np.array([1, 1, 1]), 2).tolist() == [
        torch.iinfo(torch.int32).min, 7]
    with pytest.raises(ValueError):
        ops.segment_sum(np.ones((2, 2)), np.zeros((2, 2), "int32"))


def test_fft_family_matches_numpy_fft():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(3, 8)).astype("float32")
    imag = rng.normal(size=(3, 8)).astype("float32")
    z = real + 1j * imag
    for op, reference in [(ops.fft, np.fft.fft(z)), (ops.fft2, np.fft.fft2(z)),
                          (ops.ifft2, np.fft.ifft2(z))]:
        r, i = op((real, imag))
        assert r.dtype == torch.float32
        np.testing.assert_allclose(r.numpy() + 1j * i.numpy(), reference, atol=1e-4)
    r, i = ops.rfft(real, fft_length=6)
    np.testing.assert_allclose(r.numpy() + 1j * i.numpy(), np.fft.rfft(real, n=6), atol=1e-5)
    back = ops.irfft(ops.rfft(real), 8)
    np.testing.assert_allclose(back.numpy(), real, atol=1e-5)
    with pytest.raises(ValueError):
        ops.fft(real)


def test_stft_matches_a_hand_computed_frame_and_istft_inverts_it():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 64)).astype("float32")
    real, imag = ops.stft(x, sequence_length=16, sequence_stride=4, fft_length=16)
    assert tuple(real.shape) == (2, 1 + 64 // 4, 9)
    # Frame 3 with center=True: samples [3*4 - 8, 3*4 + 8) of x, times a periodic Hann window.
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(16) / 16)
    expected = np.fft.rfft(x[:, 4:20] * window)
    np.testing.assert_allclose(real[:, 3].numpy() + 1j * imag[:, 3].numpy(), expected,
                               atol=1e-4)
    back = ops.istft((real, imag), 16, 4, 16, length=64)
    np.testing.assert_allclose(back.numpy(), x, atol=1e-4)
    # fft_length > sequence_length and no centering: the interior is still recovered.
    spec = ops.stft(x, 12, 3, 16, center=False)
    back = ops.istft(spec, 12, 3, 16, center=False)
    np.testing.assert_allclose(back.numpy()[:, 16:48], x[:, 16:48], atol=1e-4)


def test_extract_sequences_and_complex_views():
    seqs = ops.extract_sequences(ops.convert_to_tensor([1, 2, 3, 4, 5, 6]), 3, 2)
    assert seqs.tolist() == [[1, 2, 3], [3, 4, 5]]
    z = ops.view_as_complex(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert z.dtype == torch.complex64 and z.tolist() == [1 + 2j, 3 + 4j]
    real = ops.view_as_real(np.array([1 + 2j, 3 + 4j]))
    assert real.dtype == torch.float32 and real.tolist() == [[1, 2], [3, 4]]


def test_cdist_erfc_logdet():
    x = np.array([[[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]], "float32")
    y = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    expected = np.sqrt(((x[..., :, None, :] - y[None, None]) ** 2).sum(-1))
    np.testing.assert_allclose(ops.cdist(x, y[None]).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(ops.erfc(np.array([0.0, 1.0])).numpy(),
                               [1.0, 0.15729921], rtol=1e-5)
    a = np.array([[2.0, 0.5], [0.5, 3.0]], "float32")
    np.testing.assert_allclose(float(ops.logdet(a)), np.log(np.linalg.det(a)), rtol=1e-5)


def test_in_top_k_with_out_of_range_targets_and_k_equal_to_classes():
    predictions = np.array([[0.1, 0.4, 0.6, 0.9, 0.5], [0.1, 0.7, 0.9, 0.8, 0.3]], "float32")
    assert ops.in_top_k(np.array([2, 5]), predictions, k=3).tolist() == [True, False]
    assert ops.in_top_k(np.array([0, 4]), predictions, k=5).tolist() == [True, True]


@pytest.mark.parametrize("pattern, lengths, reference", [
    ("b h w c -> b c h w", {}, lambda x: x.transpose(0, 3, 1, 2)),
    ("b h w c -> (b h) w c", {}, lambda x: x.reshape(4 * 6, 8, 3)),
    ("b h w c -> h (b w) c", {}, lambda x: x.transpose(1, 0, 2, 3).reshape(6, 32, 3)),
    ("b (h1 h) (w1 w) c -> (b h1 w1) h w c", {"h1": 2, "w1": 2},
     lambda x: x.reshape(4, 2, 3, 2, 4, 3).transpose(0, 1, 3, 2, 4, 5).reshape(16, 3, 4, 3)),
    ("b (h h1) (w w1) c -> b h w (c h1 w1)", {"h1": 2, "w1": 2},
     lambda x: x.reshape(4, 3, 2, 4, 2, 3).transpose(0, 1, 3, 5, 2, 4).reshape(4, 3, 4, 12)),
    ("b ... c -> b c ...", {}, lambda x: np.moveaxis(x, -1, 1)),
    ("b h w c -> b 1 (h w) c", {}, lambda x: x.reshape(4, 1, 48, 3)),
])
def test_rearrange_matches_reshape_and_transpose(pattern, lengths, reference):
    x = np.arange(4 * 6 * 8 * 3, dtype="float32").reshape(4, 6, 8, 3)
    np.testing.assert_array_equal(ops.rearrange(x, pattern, **lengths).numpy(), reference(x))


def test_rearrange_errors():
    x = np.zeros((4, 6))
    with pytest.raises(ValueError):
        ops.rearrange(x, "a b c -> a b c")
    with pytest.raises(ValueError):
        ops.rearrange(x, "a b -> a")
    with pytest.raises(ValueError):
        ops.rearrange(x, "a (b c) -> a b c")


def test_scan_map_while_loop_associative_scan():
    carry, ys = ops.scan(lambda c, x: (c + x, c + x), torch.tensor(0), torch.tensor([1, 2, 3]))
    assert int(carry) == 6 and ys.tolist() == [1, 3, 6]
    carry, ys = ops.scan(lambda c, x: (c + x, c), torch.tensor(0), torch.tensor([1, 2, 3]),
                         reverse=True)
    assert int(carry) == 6 and ys.tolist() == [5, 3, 0]
    out = ops.map(lambda x: {"sq": x * x, "ten": x * 10}, torch.arange(4))
    assert out["sq"].tolist() == [0, 1, 4, 9] and out["ten"].tolist() == [0, 10, 20, 30]
    assert ops.map(lambda d: d["a"] + d["b"], {"a": torch.arange(3), "b": torch.ones(3)}).tolist() \
        == [1, 2, 3]
    result = ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0)
    assert isinstance(result, torch.Tensor) and int(result) == 10
    x = np.random.default_rng(3).normal(size=(11, 2)).astype("float32")
    np.testing.assert_allclose(ops.associative_scan(lambda a, b: a + b, x).numpy(),
                               np.cumsum(x, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.associative_scan(lambda a, b: a + b, x, reverse=True,
                                                    axis=0).numpy(),
                               np.cumsum(x[::-1], 0)[::-1], rtol=1e-5, atol=1e-6)
    # Non-commutative: composition of affine maps (a, b): x -> a x + b.
    a, b = x[:, 0], x[:, 1]
    sa, sb = ops.associative_scan(lambda p, q: (q[0] * p[0], q[0] * p[1] + q[1]), (a, b))
    value = 0.0
    for i in range(11):
        value = a[i] * value + b[i]
        assert abs(float(sb[i]) - value) < 1e-4


def test_custom_gradient_replaces_the_backward_pass():
    @ops.custom_gradient
    def log1pexp(x):
        e = ops.exp(x)

        def grad(upstream):
            return upstream * (1.0 - 1.0 / (1 + e))

        return ops.log(1 + e), grad

    x = torch.tensor([0.0, 100.0], requires_grad=True)
    log1pexp(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 1.0])

    @ops.custom_gradient
    def double_grad(x, y):  # the torch-style `grad(*args, upstream)` form, two inputs
        def grad(*args, upstream):
            return upstream * 2.0, upstream * 3.0
        return x * y, grad

    x = torch.tensor(2.0, requires_grad=True)
    y = torch.tensor(5.0, requires_grad=True)
    out = double_grad(x, y)
    out.backward()
    assert float(out.detach()) == 10.0 and float(x.grad) == 2.0 and float(y.grad) == 3.0


def test_saturate_cast_clips_to_the_target_range():
    x = torch.tensor([-1.0, 256.0, 3.7, float("inf")])
    assert ops.saturate_cast(x, "uint8").tolist() == [0, 255, 3, 255]
    assert ops.saturate_cast(torch.tensor([300, -300]), "int8").tolist() == [127, -128]


def test_linalg_additions():
    a = np.array([[4.0, 1.0], [2.0, 3.0]], "float32")
    b = np.array([1.0, 2.0], "float32")
    assert int(ops.matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]]))) == 1
    assert ops.matrix_rank(a).dtype == torch.int32
    np.testing.assert_allclose(ops.pinv(a).numpy(), np.linalg.pinv(a), rtol=1e-5)
    assert ops.pinv is ops.linalg.pinv and ops.cholesky is ops.linalg.cholesky
    tall = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]], "float32")
    rhs = np.array([1.0, 0.0, 2.0], "float32")
    np.testing.assert_allclose(ops.lstsq(tall, rhs).numpy(),
                               np.linalg.lstsq(tall, rhs, rcond=None)[0], rtol=1e-4)
    lower = np.tril(a)
    np.testing.assert_allclose(ops.solve_triangular(lower, b, lower=True).numpy(),
                               np.linalg.solve(lower, b), rtol=1e-5)
    lu, pivots = ops.lu_factor(a)
    assert pivots.tolist() == [0, 1]
    spd = a @ a.T
    chol = np.linalg.cholesky(spd)
    np.testing.assert_allclose(ops.cholesky_inverse(chol).numpy(), np.linalg.inv(spd),
                               rtol=1e-4)
    values, _ = ops.eig(a)
    np.testing.assert_allclose(sorted(values.real.tolist()), sorted(np.linalg.eigvals(a).real),
                               rtol=1e-5)
    primal, tangent = ops.jvp(torch.sin, (ops.convert_to_tensor(0.1),),
                              (ops.convert_to_tensor(0.2),))
    np.testing.assert_allclose([float(primal), float(tangent)],
                               [np.sin(0.1), 0.2 * np.cos(0.1)], rtol=1e-6)
