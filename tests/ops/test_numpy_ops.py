"""lamina.ops against NumPy on random inputs: values, shapes and Keras's argument conventions."""

import numpy as np
import pytest
import torch

from lamina import ops

rng = np.random.default_rng(0)
A = rng.normal(size=(3, 4)).astype(np.float32)
B = rng.normal(size=(3, 4)).astype(np.float32)
C = rng.normal(size=(2, 3, 4)).astype(np.float32)
POS = (np.abs(A) + 0.1).astype(np.float32)
SQ = rng.normal(size=(4, 4)).astype(np.float32)
INTS = rng.integers(-5, 6, size=(3, 4)).astype(np.int32)
WITH_NAN_INF = np.where(A > 0.5, np.nan, np.where(A < -0.5, -np.inf, A)).astype(np.float32)

# (id, lamina call, NumPy call); each receives the same NumPy inputs.
CASES = [
    ("add", lambda o: o.add(A, B), lambda: A + B),
    ("add_scalar_left", lambda o: o.add(2.0, A), lambda: 2.0 + A),
    ("subtract", lambda o: o.subtract(A, B), lambda: A - B),
    ("multiply", lambda o: o.multiply(A, 3), lambda: A * 3),
    ("divide", lambda o: o.divide(A, POS), lambda: A / POS),
    ("floor_divide", lambda o: o.floor_divide(INTS, 3), lambda: INTS // 3),
    ("mod", lambda o: o.mod(INTS, 3), lambda: np.mod(INTS, 3)),
    ("power", lambda o: o.power(POS, 1.5), lambda: POS**1.5),
    ("negative", lambda o: o.negative(A), lambda: -A),
    ("square", lambda o: o.square(A), lambda: np.square(A)),
    ("sqrt", lambda o: o.sqrt(POS), lambda: np.sqrt(POS)),
    ("exp", lambda o: o.exp(A), lambda: np.exp(A)),
    ("log", lambda o: o.log(POS), lambda: np.log(POS)),
    ("log1p", lambda o: o.log1p(POS), lambda: np.log1p(POS)),
    ("abs", lambda o: o.abs(A), lambda: np.abs(A)),
    ("sign", lambda o: o.sign(INTS), lambda: np.sign(INTS)),
    ("round", lambda o: o.round(A * 10), lambda: np.round(A * 10)),
    ("round_decimals", lambda o: o.round(A, decimals=2), lambda: np.round(A, 2)),
    ("floor", lambda o: o.floor(A * 3), lambda: np.floor(A * 3)),
    ("ceil", lambda o: o.ceil(A * 3), lambda: np.ceil(A * 3)),
    ("clip", lambda o: o.clip(A, -0.5, 0.5), lambda: np.clip(A, -0.5, 0.5)),
    ("clip_arrays", lambda o: o.clip(A, B, B + 1), lambda: np.clip(A, B, B + 1)),
    ("maximum", lambda o: o.maximum(A, B), lambda: np.maximum(A, B)),
    ("maximum_scalar", lambda o: o.maximum(A, 0.0), lambda: np.maximum(A, 0.0)),
    ("minimum", lambda o: o.minimum(A, B), lambda: np.minimum(A, B)),
    ("tanh", lambda o: o.tanh(A), lambda: np.tanh(A)),
    ("sin", lambda o: o.sin(A), lambda: np.sin(A)),
    ("equal", lambda o: o.equal(INTS, 0), lambda: INTS == 0),
    ("not_equal", lambda o: o.not_equal(INTS, 0), lambda: INTS != 0),
    ("greater", lambda o: o.greater(A, B), lambda: A > B),
    ("greater_equal", lambda o: o.greater_equal(INTS, 1), lambda: INTS >= 1),
    ("less", lambda o: o.less(0.0, A), lambda: 0.0 < A),
    ("less_equal", lambda o: o.less_equal(A, B), lambda: A <= B),
    ("logical_and", lambda o: o.logical_and(A > 0, B > 0), lambda: (A > 0) & (B > 0)),
    ("logical_or", lambda o: o.logical_or(A > 0, B > 0), lambda: (A > 0) | (B > 0)),
    ("logical_xor", lambda o: o.logical_xor(A > 0, True), lambda: (A > 0) ^ True),
    ("logical_not", lambda o: o.logical_not(A > 0), lambda: ~(A > 0)),
    ("where", lambda o: o.where(A > 0, A, B), lambda: np.where(A > 0, A, B)),
    ("where_scalar", lambda o: o.where(A > 0, A, 0.0), lambda: np.where(A > 0, A, 0.0)),
    ("sum", lambda o: o.sum(C), lambda: np.sum(C)),
    ("sum_axis", lambda o: o.sum(C, axis=1), lambda: np.sum(C, axis=1)),
    ("sum_axes_keepdims", lambda o: o.sum(C, axis=(0, 2), keepdims=True),
     lambda: np.sum(C, axis=(0, 2), keepdims=True)),
    ("mean", lambda o: o.mean(C, axis=-1), lambda: np.mean(C, axis=-1)),
    ("mean_keepdims_all", lambda o: o.mean(C, keepdims=True), lambda: np.mean(C, keepdims=True)),
    ("max", lambda o: o.max(C), lambda: np.max(C)),
    ("max_axes", lambda o: o.max(C, axis=(1, 2)), lambda: np.max(C, axis=(1, 2))),
    ("max_initial", lambda o: o.max(A, axis=0, initial=0.5), lambda: np.max(A, axis=0, initial=0.5)),
    ("min_keepdims", lambda o: o.min(C, axis=0, keepdims=True),
     lambda: np.min(C, axis=0, keepdims=True)),
    ("prod", lambda o: o.prod(A, axis=1), lambda: np.prod(A, axis=1)),
    ("prod_axes", lambda o: o.prod(C, axis=(0, 2)), lambda: np.prod(C, axis=(0, 2))),
    ("prod_all_keepdims", lambda o: o.prod(A, keepdims=True), lambda: np.prod(A, keepdims=True)),
    ("std", lambda o: o.std(C, axis=1), lambda: np.std(C, axis=1)),
    ("var", lambda o: o.var(C), lambda: np.var(C)),
    ("var_keepdims", lambda o: o.var(C, axis=(0, 1), keepdims=True),
     lambda: np.var(C, axis=(0, 1), keepdims=True)),
    ("any", lambda o: o.any(A > 1, axis=1), lambda: np.any(A > 1, axis=1)),
    ("all", lambda o: o.all(A > -2), lambda: np.all(A > -2)),
    ("cumsum", lambda o: o.cumsum(A, axis=1), lambda: np.cumsum(A, axis=1)),
    ("cumsum_flat", lambda o: o.cumsum(A), lambda: np.cumsum(A)),
    ("cumprod", lambda o: o.cumprod(POS, axis=0), lambda: np.cumprod(POS, axis=0)),
    ("argmax", lambda o: o.argmax(C, axis=1), lambda: np.argmax(C, axis=1)),
    ("argmax_flat", lambda o: o.argmax(C), lambda: np.argmax(C)),
    ("argmax_keepdims_flat", lambda o: o.argmax(C, keepdims=True),
     lambda: np.argmax(C, keepdims=True)),
    ("argmin", lambda o: o.argmin(A, axis=0, keepdims=True),
     lambda: np.argmin(A, axis=0, keepdims=True)),
    ("argsort", lambda o: o.argsort(A), lambda: np.argsort(A, kind="stable")),
    ("argsort_flat", lambda o: o.argsort(A, axis=None), lambda: np.argsort(A, axis=None)),
    ("sort", lambda o: o.sort(A, axis=0), lambda: np.sort(A, axis=0)),
    ("norm", lambda o: o.norm(C), lambda: np.linalg.norm(C)),
    ("norm_axis", lambda o: o.norm(A, axis=1), lambda: np.linalg.norm(A, axis=1)),
    ("norm_ord1", lambda o: o.norm(A, ord=1, axis=-1, keepdims=True),
     lambda: np.linalg.norm(A, ord=1, axis=-1, keepdims=True)),
    ("norm_fro", lambda o: o.norm(A, ord="fro"), lambda: np.linalg.norm(A, ord="fro")),
    ("matmul", lambda o: o.matmul(A, B.T), lambda: A @ B.T),
    ("matmul_batched", lambda o: o.matmul(C, SQ), lambda: C @ SQ),
    ("dot_2d", lambda o: o.dot(A, SQ), lambda: np.dot(A, SQ)),
    ("dot_1d", lambda o: o.dot(A[0], B[0]), lambda: np.dot(A[0], B[0])),
    ("dot_nd_1d", lambda o: o.dot(C, A[0]), lambda: np.dot(C, A[0])),
    ("dot_nd_nd", lambda o: o.dot(A, np.transpose(C, (0, 2, 1))),
     lambda: np.dot(A, np.transpose(C, (0, 2, 1)))),
    ("dot_scalar", lambda o: o.dot(A, 2.0), lambda: np.dot(A, 2.0)),
    ("einsum", lambda o: o.einsum("ij,kj->ik", A, B), lambda: np.einsum("ij,kj->ik", A, B)),
    ("tensordot", lambda o: o.tensordot(C, A, axes=([1, 2], [0, 1])),
     lambda: np.tensordot(C, A, axes=([1, 2], [0, 1]))),
    ("reshape", lambda o: o.reshape(C, (4, -1)), lambda: np.reshape(C, (4, -1))),
    ("transpose", lambda o: o.transpose(C), lambda: np.transpose(C)),
    ("transpose_axes", lambda o: o.transpose(C, (1, 0, 2)), lambda: np.transpose(C, (1, 0, 2))),
    ("concatenate", lambda o: o.concatenate([A, B], axis=1), lambda: np.concatenate([A, B], 1)),
    ("concatenate_none", lambda o: o.concatenate([A, C], axis=None),
     lambda: np.concatenate([A, C], axis=None)),
    ("stack", lambda o: o.stack([A, B], axis=-1), lambda: np.stack([A, B], axis=-1)),
    ("expand_dims", lambda o: o.expand_dims(A, 1), lambda: np.expand_dims(A, 1)),
    ("expand_dims_multi", lambda o: o.expand_dims(A, (0, -1)), lambda: np.expand_dims(A, (0, -1))),
    ("squeeze", lambda o: o.squeeze(A[:, :1]), lambda: np.squeeze(A[:, :1])),
    ("squeeze_axis", lambda o: o.squeeze(A[None, :, :1], axis=0),
     lambda: np.squeeze(A[None, :, :1], axis=0)),
    ("tile", lambda o: o.tile(A, (2, 1, 3)), lambda: np.tile(A, (2, 1, 3))),
    ("repeat", lambda o: o.repeat(A, 2, axis=1), lambda: np.repeat(A, 2, axis=1)),
    ("repeat_flat", lambda o: o.repeat(A, 2), lambda: np.repeat(A, 2)),
    ("repeat_list", lambda o: o.repeat(A, [1, 0, 2], axis=0), lambda: np.repeat(A, [1, 0, 2], 0)),
    ("flip", lambda o: o.flip(C), lambda: np.flip(C)),
    ("flip_axis", lambda o: o.flip(C, axis=1), lambda: np.flip(C, axis=1)),
    ("broadcast_to", lambda o: o.broadcast_to(A[0], (2, 3, 4)),
     lambda: np.broadcast_to(A[0], (2, 3, 4))),
    ("moveaxis", lambda o: o.moveaxis(C, 0, -1), lambda: np.moveaxis(C, 0, -1)),
    ("take", lambda o: o.take(A, [2, 0, -1], axis=1), lambda: np.take(A, [2, 0, -1], axis=1)),
    ("take_2d_indices", lambda o: o.take(C, np.array([[0, 1], [2, 2]]), axis=1),
     lambda: np.take(C, np.array([[0, 1], [2, 2]]), axis=1)),
    ("take_flat", lambda o: o.take(A, [5, 1]), lambda: np.take(A, [5, 1])),
    ("take_along_axis", lambda o: o.take_along_axis(A, np.argsort(A, 1), axis=1),
     lambda: np.take_along_axis(A, np.argsort(A, 1), axis=1)),
    ("take_along_axis_flat", lambda o: o.take_along_axis(A, np.array([3, 0]), axis=None),
     lambda: np.take_along_axis(A, np.array([3, 0]), axis=None)),
    ("pad_constant", lambda o: o.pad(A, ((1, 0), (2, 1))), lambda: np.pad(A, ((1, 0), (2, 1)))),
    ("pad_value", lambda o: o.pad(A, 1, constant_values=7), lambda: np.pad(A, 1, constant_values=7)),
    ("pad_reflect", lambda o: o.pad(A, ((2, 1), (0, 3)), mode="reflect"),
     lambda: np.pad(A, ((2, 1), (0, 3)), mode="reflect")),
    ("pad_symmetric", lambda o: o.pad(A, (1, 2), mode="symmetric"),
     lambda: np.pad(A, (1, 2), mode="symmetric")),
    ("pad_edge", lambda o: o.pad(C, ((0, 0), (1, 1), (2, 0)), mode="edge"),
     lambda: np.pad(C, ((0, 0), (1, 1), (2, 0)), mode="edge")),
    ("tril", lambda o: o.tril(SQ, k=-1), lambda: np.tril(SQ, k=-1)),
    ("triu", lambda o: o.triu(SQ, k=1), lambda: np.triu(SQ, k=1)),
    ("diag", lambda o: o.diag(SQ), lambda: np.diag(SQ)),
    ("trace", lambda o: o.trace(SQ), lambda: np.trace(SQ)),
    ("outer", lambda o: o.outer(A[0], B[1]), lambda: np.outer(A[0], B[1])),
    ("isnan", lambda o: o.isnan(WITH_NAN_INF), lambda: np.isnan(WITH_NAN_INF)),
    ("isinf", lambda o: o.isinf(WITH_NAN_INF), lambda: np.isinf(WITH_NAN_INF)),
    ("isfinite", lambda o: o.isfinite(WITH_NAN_INF), lambda: np.isfinite(WITH_NAN_INF)),
    ("ones_like", lambda o: o.ones_like(INTS), lambda: np.ones_like(INTS)),
    ("zeros_like", lambda o: o.zeros_like(A), lambda: np.zeros_like(A)),
    ("full_like", lambda o: o.full_like(A, 3.5), lambda: np.full_like(A, 3.5)),
    ("eye_k", lambda o: o.eye(3, 4, k=1), lambda: np.eye(3, 4, k=1)),
    ("eye_negative_k", lambda o: o.eye(4, k=-2), lambda: np.eye(4, k=-2)),
    ("tri", lambda o: o.tri(3, 4, k=1), lambda: np.tri(3, 4, k=1)),
    ("arange", lambda o: o.arange(2, 11, 3), lambda: np.arange(2, 11, 3)),
    ("arange_float", lambda o: o.arange(0.0, 1.0, 0.25), lambda: np.arange(0.0, 1.0, 0.25)),
    ("linspace", lambda o: o.linspace(-1, 2, 7), lambda: np.linspace(-1, 2, 7)),
    ("linspace_no_endpoint", lambda o: o.linspace(0, 1, 4, endpoint=False),
     lambda: np.linspace(0, 1, 4, endpoint=False)),
    ("linspace_arrays", lambda o: o.linspace([0, 1], [1, 3], 5, axis=1),
     lambda: np.linspace([0, 1], [1, 3], 5, axis=1)),
    ("split", lambda o: o.split(C, 2, axis=2)[1], lambda: np.split(C, 2, axis=2)[1]),
    ("split_indices", lambda o: o.split(A, [1, 3], axis=1)[2], lambda: np.split(A, [1, 3], 1)[2]),
    ("ravel", lambda o: o.ravel(C), lambda: np.ravel(C)),
    ("average_weights", lambda o: o.average(A, axis=1, weights=[1.0, 2.0, 3.0, 4.0]),
     lambda: np.average(A, axis=1, weights=[1.0, 2.0, 3.0, 4.0])),
    ("count_nonzero", lambda o: o.count_nonzero(INTS, axis=0), lambda: np.count_nonzero(INTS, 0)),
    ("swapaxes", lambda o: o.swapaxes(C, 0, 2), lambda: np.swapaxes(C, 0, 2)),
    ("divide_no_nan", lambda o: o.divide_no_nan(A, np.where(B > 0, B, 0)),
     lambda: np.where(B > 0, A / np.where(B > 0, B, 1), 0)),
    ("isclose", lambda o: o.isclose(A, A + 1e-7 * (B > 0)), lambda: np.isclose(A, A + 1e-7 * (B > 0))),
    ("cos", lambda o: o.cos(A), lambda: np.cos(A)),
    ("tan", lambda o: o.tan(A), lambda: np.tan(A)),
    ("arctan", lambda o: o.arctan(A), lambda: np.arctan(A)),
    ("exp2", lambda o: o.exp2(A), lambda: np.exp2(A)),
    ("expm1", lambda o: o.expm1(A), lambda: np.expm1(A)),
    ("log2", lambda o: o.log2(POS), lambda: np.log2(POS)),
    ("log10", lambda o: o.log10(POS), lambda: np.log10(POS)),
    ("rsqrt", lambda o: o.rsqrt(POS), lambda: 1 / np.sqrt(POS)),
    ("reciprocal", lambda o: o.reciprocal(POS), lambda: 1 / POS),
    ("nan_to_num", lambda o: o.nan_to_num(WITH_NAN_INF, nan=1.0, neginf=-9.0),
     lambda: np.nan_to_num(WITH_NAN_INF, nan=1.0, neginf=-9.0)),
    ("vstack", lambda o: o.vstack([A, B]), lambda: np.vstack([A, B])),
    ("hstack", lambda o: o.hstack([A, INTS]), lambda: np.hstack([A, INTS])),
    ("append", lambda o: o.append(A, B, axis=0), lambda: np.append(A, B, axis=0)),
    ("meshgrid", lambda o: o.meshgrid(A[0], B[0])[1], lambda: np.meshgrid(A[0], B[0])[1]),
    ("copy", lambda o: o.copy(A), lambda: A),
    ("diagonal", lambda o: o.diagonal(C, offset=1, axis1=1, axis2=2),
     lambda: np.diagonal(C, offset=1, axis1=1, axis2=2)),
    ("vdot", lambda o: o.vdot(A, B), lambda: np.vdot(A, B)),
    ("identity", lambda o: o.identity(3), lambda: np.identity(3)),
    ("full", lambda o: o.full((2, 3), 7), lambda: np.full((2, 3), 7.0)),
    ("full_array_value", lambda o: o.full((2, 4), A[0]), lambda: np.full((2, 4), A[0])),
    ("ones", lambda o: o.ones((2, 1), dtype="int32"), lambda: np.ones((2, 1))),
    ("zeros", lambda o: o.zeros(3), lambda: np.zeros(3)),
    ("empty_shape", lambda o: o.zeros_like(o.empty((2, 2))), lambda: np.zeros((2, 2))),
    ("linalg_inv", lambda o: o.linalg.inv(SQ + 4 * np.eye(4, dtype=np.float32)),
     lambda: np.linalg.inv(SQ + 4 * np.eye(4))),
    ("linalg_det", lambda o: o.linalg.det(SQ), lambda: np.linalg.det(SQ)),
    ("linalg_solve", lambda o: o.linalg.solve(SQ, A.T), lambda: np.linalg.solve(SQ, A.T)),
    ("linalg_svd_values", lambda o: o.linalg.svd(A, compute_uv=False),
     lambda: np.linalg.svd(A, compute_uv=False)),
    ("linalg_norm", lambda o: o.linalg.norm(A, axis=0), lambda: np.linalg.norm(A, axis=0)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_op_matches_numpy(case):
    _, lamina_call, numpy_call = case
    result = lamina_call(ops)
    expected = np.asarray(numpy_call())
    assert isinstance(result, torch.Tensor)
    assert tuple(result.shape) == expected.shape
    np.testing.assert_allclose(ops.convert_to_numpy(result), expected, rtol=2e-5, atol=2e-6)


def test_ops_are_exported_flat_and_by_family():
    assert ops.numpy.matmul is ops.matmul
    assert ops.nn.softmax is ops.softmax
    assert ops.core.convert_to_tensor is ops.convert_to_tensor
    assert ops.math.top_k is ops.top_k
    for name in ["relu", "one_hot", "binary_crossentropy", "moments", "normalize"]:
        assert getattr(ops.nn, name) is getattr(ops, name)


def test_top_k_and_in_top_k():
    values, indices = ops.top_k(A, 2)
    expected_indices = np.argsort(-A, axis=-1)[:, :2]
    np.testing.assert_array_equal(indices.numpy(), expected_indices)
    np.testing.assert_allclose(values.numpy(), np.take_along_axis(A, expected_indices, 1))
    assert indices.dtype == torch.int32
    hits = ops.in_top_k(np.array([0, 1, 2]), A, 2)
    np.testing.assert_array_equal(hits.numpy(), [(expected_indices[i] == i).any() for i in range(3)])


def test_where_with_condition_only_returns_indices():
    rows, columns = ops.where(INTS > 2)
    expected_rows, expected_columns = np.nonzero(INTS > 2)
    np.testing.assert_array_equal(rows.numpy(), expected_rows)
    np.testing.assert_array_equal(columns.numpy(), expected_columns)


def test_logsumexp_and_erf():
    from math import erf

    np.testing.assert_allclose(
        ops.logsumexp(C, axis=1).numpy(), np.log(np.sum(np.exp(C), axis=1)), rtol=1e-5
    )
    np.testing.assert_allclose(ops.logsumexp(C).numpy(), np.log(np.sum(np.exp(C))), rtol=1e-5)
    np.testing.assert_allclose(ops.erf(A).numpy(), np.vectorize(erf)(A), rtol=1e-5, atol=1e-7)


def test_linspace_retstep_and_unstack():
    samples, step = ops.linspace(0.0, 2.0, 5, retstep=True)
    np.testing.assert_allclose(step.numpy(), 0.5)
    parts = ops.unstack(C, axis=1)
    assert len(parts) == 3
    np.testing.assert_array_equal(parts[1].numpy(), C[:, 1])


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="axis 1 has size 4"):
        ops.squeeze(A, axis=1)
    with pytest.raises(ValueError, match="cannot be divided into 3 equal parts"):
        ops.split(A, 3, axis=1)
    with pytest.raises(ValueError, match="unknown mode 'mirror'"):
        ops.pad(A, 1, mode="mirror")
    with pytest.raises(ValueError, match="both `x1` and `x2`"):
        ops.where(A > 0, A)
    with pytest.raises(ValueError, match="one start index and one size per axis"):
        ops.slice(A, [0], [1])
