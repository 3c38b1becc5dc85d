"""The rest of keras.ops.numpy (lamina/ops/numpy_more.py): values against NumPy, Keras's result
dtypes, and a few symbolic shapes."""

import numpy as np
import pytest
import torch

import lamina
from lamina import ops
from lamina.symbolic.keras_tensor import KerasTensor

rng = np.random.default_rng(1)
A = rng.normal(size=(3, 4)).astype(np.float32)
NAN = np.where(A > 0.8, np.nan, A).astype(np.float32)
NAN[0, 0] = np.nan
UNIT = np.clip(A / 4, -0.9, 0.9).astype(np.float32)
POS = (np.abs(A) + 1.1).astype(np.float32)
INTS = rng.integers(-5, 6, size=(3, 4)).astype(np.int32)
I1 = np.array([4, 6, -9, 0], np.int32)
I2 = np.array([6, 4, 6, 5], np.int32)


def _np(x):
    return ops.convert_to_numpy(x)


def _dtype(x):
    return ops.standardize_dtype(x.dtype)


# (id, lamina call, NumPy call, expected dtype or None)
CASES = [
    ("array_list", lambda: ops.array([1, 2]), lambda: np.array([1, 2]), "int32"),
    ("array_float64", lambda: ops.array(np.arange(3.0)), lambda: np.arange(3.0), "float32"),
    ("array_dtype", lambda: ops.array([1, 2], dtype="float16"), lambda: np.array([1, 2]),
     "float16"),
    ("arccos", lambda: ops.arccos(UNIT), lambda: np.arccos(UNIT), "float32"),
    ("arcsin_int", lambda: ops.arcsin(np.array([0, 1])), lambda: np.arcsin([0, 1]), "float32"),
    ("arccosh", lambda: ops.arccosh(POS), lambda: np.arccosh(POS), "float32"),
    ("arcsinh", lambda: ops.arcsinh(A), lambda: np.arcsinh(A), "float32"),
    ("arctanh", lambda: ops.arctanh(UNIT), lambda: np.arctanh(UNIT), "float32"),
    ("arctan2", lambda: ops.arctan2(A, POS), lambda: np.arctan2(A, POS), "float32"),
    ("angle", lambda: ops.angle(A), lambda: np.angle(A), "float32"),
    ("cosh", lambda: ops.cosh(A), lambda: np.cosh(A), "float32"),
    ("sinh", lambda: ops.sinh(A), lambda: np.sinh(A), "float32"),
    ("cbrt", lambda: ops.cbrt(A), lambda: np.cbrt(A), "float32"),
    ("deg2rad", lambda: ops.deg2rad(INTS), lambda: np.deg2rad(INTS), "float32"),
    ("rad2deg", lambda: ops.rad2deg(A), lambda: np.rad2deg(A), "float32"),
    ("fabs_int", lambda: ops.fabs(INTS), lambda: np.fabs(INTS), "float32"),
    ("sinc", lambda: ops.sinc(A), lambda: np.sinc(A), "float32"),
    ("i0", lambda: ops.i0(A), lambda: np.i0(A), "float32"),
    ("trunc", lambda: ops.trunc(A), lambda: np.trunc(A), "float32"),
    ("trunc_int", lambda: ops.trunc(INTS), lambda: INTS, "int32"),
    ("real", lambda: ops.real(A), lambda: A, "float32"),
    ("imag", lambda: ops.imag(A), lambda: np.zeros_like(A), "float32"),
    ("conj", lambda: ops.conj(INTS), lambda: INTS, "int32"),
    ("isreal", lambda: ops.isreal(A), lambda: np.isreal(A), "bool"),
    ("isposinf", lambda: ops.isposinf(np.array([np.inf, -np.inf, 1.0])),
     lambda: [True, False, False], "bool"),
    ("isneginf", lambda: ops.isneginf(np.array([np.inf, -np.inf, 1.0])),
     lambda: [False, True, False], "bool"),
    ("signbit", lambda: ops.signbit(A), lambda: np.signbit(A), "bool"),
    ("hypot", lambda: ops.hypot(A, POS), lambda: np.hypot(A, POS), "float32"),
    ("hypot_int", lambda: ops.hypot(I1, I2), lambda: np.hypot(I1, I2), "float32"),
    ("logaddexp", lambda: ops.logaddexp(A, POS), lambda: np.logaddexp(A, POS), "float32"),
    ("logaddexp2", lambda: ops.logaddexp2(A, POS), lambda: np.logaddexp2(A, POS), "float32"),
    ("nextafter", lambda: ops.nextafter(A, POS), lambda: np.nextafter(A, POS), "float32"),
    ("heaviside", lambda: ops.heaviside(np.array([-1.0, 0.0, 2.0]), 0.5),
     lambda: np.heaviside([-1.0, 0.0, 2.0], 0.5), "float32"),
    ("fmax", lambda: ops.fmax(NAN, A), lambda: np.fmax(NAN, A), "float32"),
    ("fmin", lambda: ops.fmin(NAN, 0.0), lambda: np.fmin(NAN, 0.0), "float32"),
    ("fmax_int", lambda: ops.fmax(I1, I2), lambda: np.fmax(I1, I2), "int32"),
    ("fmod", lambda: ops.fmod(I1, I2), lambda: np.fmod(I1, I2), "int32"),
    ("gcd", lambda: ops.gcd(I1, I2), lambda: np.gcd(I1, I2), "int32"),
    ("lcm", lambda: ops.lcm(I1, I2), lambda: np.lcm(I1, I2), "int32"),
    ("ldexp", lambda: ops.ldexp(A[0], I2), lambda: np.ldexp(A[0], I2), "float32"),
    ("bitwise_and", lambda: ops.bitwise_and(I1, I2), lambda: I1 & I2, "int32"),
    ("bitwise_or", lambda: ops.bitwise_or(I1, 3), lambda: I1 | 3, "int32"),
    ("bitwise_xor", lambda: ops.bitwise_xor(I1, I2), lambda: I1 ^ I2, "int32"),
    ("bitwise_invert", lambda: ops.bitwise_invert(I1), lambda: ~I1, "int32"),
    ("left_shift", lambda: ops.left_shift(I2, 2), lambda: I2 << 2, "int32"),
    ("right_shift", lambda: ops.bitwise_right_shift(I2, 1), lambda: I2 >> 1, "int32"),
    # nan-aware reductions
    ("nansum", lambda: ops.nansum(NAN), lambda: np.nansum(NAN), "float32"),
    ("nansum_axis", lambda: ops.nansum(NAN, axis=1, keepdims=True),
     lambda: np.nansum(NAN, axis=1, keepdims=True), "float32"),
    ("nansum_bool", lambda: ops.nansum(np.array([True, True])), lambda: 2, "int32"),
    ("nanprod", lambda: ops.nanprod(NAN, axis=0), lambda: np.nanprod(NAN, axis=0), "float32"),
    ("nanprod_int8", lambda: ops.nanprod(np.array([2, 3], np.int8)), lambda: 6, "int32"),
    ("nanmean", lambda: ops.nanmean(NAN, axis=0), lambda: np.nanmean(NAN, axis=0), "float32"),
    ("nanmean_int", lambda: ops.nanmean(INTS), lambda: np.mean(INTS), "float32"),
    ("nanvar", lambda: ops.nanvar(NAN, axis=1), lambda: np.nanvar(NAN, axis=1), "float32"),
    ("nanstd", lambda: ops.nanstd(NAN, axis=(0, 1), keepdims=True),
     lambda: np.nanstd(NAN, axis=(0, 1), keepdims=True), "float32"),
    ("nanmax", lambda: ops.nanmax(NAN), lambda: np.nanmax(NAN), "float32"),
    ("nanmax_axis", lambda: ops.nanmax(NAN, axis=0, keepdims=True),
     lambda: np.nanmax(NAN, axis=0, keepdims=True), "float32"),
    ("nanmin", lambda: ops.nanmin(NAN, axis=1), lambda: np.nanmin(NAN, axis=1), "float32"),
    ("nanmin_int", lambda: ops.nanmin(INTS, axis=1), lambda: np.min(INTS, axis=1), "int32"),
    ("nanargmax", lambda: ops.nanargmax(NAN, axis=1), lambda: np.nanargmax(NAN, axis=1), "int32"),
    ("nanargmin", lambda: ops.nanargmin(NAN), lambda: np.nanargmin(NAN), "int32"),
    ("nancumsum", lambda: ops.nancumsum(NAN, axis=1), lambda: np.nancumsum(NAN, axis=1), "float32"),
    ("nancumprod", lambda: ops.nancumprod(NAN), lambda: np.nancumprod(NAN), "float32"),
    ("nanmedian", lambda: ops.nanmedian(NAN, axis=0), lambda: np.nanmedian(NAN, axis=0), "float32"),
    ("median", lambda: ops.median(A, axis=1, keepdims=True),
     lambda: np.median(A, axis=1, keepdims=True), "float32"),
    ("percentile", lambda: ops.percentile(A, [10, 50], axis=0),
     lambda: np.percentile(A, [10, 50], axis=0), "float32"),
    ("percentile_int", lambda: ops.percentile(INTS, 30), lambda: np.percentile(INTS, 30),
     "float32"),
    ("nanpercentile", lambda: ops.nanpercentile(NAN, 75, axis=1, method="nearest"),
     lambda: np.nanpercentile(NAN, 75, axis=1, method="nearest"), "float32"),
    ("quantile", lambda: ops.quantile(A, 0.3, method="midpoint"),
     lambda: np.quantile(A, 0.3, method="midpoint"), "float32"),
    ("nanquantile", lambda: ops.nanquantile(NAN, [0.2, 0.9], axis=1, keepdims=True),
     lambda: np.nanquantile(NAN, [0.2, 0.9], axis=1, keepdims=True), "float32"),
    ("ptp", lambda: ops.ptp(INTS, axis=0), lambda: np.ptp(INTS, axis=0), "int32"),
    # windows
    ("bartlett", lambda: ops.bartlett(5), lambda: np.bartlett(5), "float32"),
    ("blackman", lambda: ops.blackman(6), lambda: np.blackman(6), "float32"),
    ("hamming", lambda: ops.hamming(7), lambda: np.hamming(7), "float32"),
    ("hanning", lambda: ops.hanning(1), lambda: np.hanning(1), "float32"),
    ("kaiser", lambda: ops.kaiser(6, 4.0), lambda: np.kaiser(6, 4.0), "float32"),
    # shapes and arrangement
    ("dstack", lambda: ops.dstack([I1, I2]), lambda: np.dstack([I1, I2]), "int32"),
    ("rot90", lambda: ops.rot90(A), lambda: np.rot90(A), "float32"),
    ("rot90_axes", lambda: ops.rot90(np.arange(24).reshape(2, 3, 4), k=3, axes=(1, 2)),
     lambda: np.rot90(np.arange(24).reshape(2, 3, 4), k=3, axes=(1, 2)), None),
    ("fliplr", lambda: ops.fliplr(A), lambda: np.fliplr(A), "float32"),
    ("flipud", lambda: ops.flipud(A), lambda: np.flipud(A), "float32"),
    ("roll", lambda: ops.roll(A, 2), lambda: np.roll(A, 2), "float32"),
    ("roll_axis", lambda: ops.roll(A, -1, axis=1), lambda: np.roll(A, -1, axis=1), "float32"),
    ("diagflat", lambda: ops.diagflat(I1, k=1), lambda: np.diagflat(I1, k=1), "int32"),
    ("diff", lambda: ops.diff(A, n=2, axis=0), lambda: np.diff(A, n=2, axis=0), "float32"),
    ("inner", lambda: ops.inner(A, A), lambda: np.inner(A, A), "float32"),
    ("kron", lambda: ops.kron(I1[:2], I2[:3]), lambda: np.kron(I1[:2], I2[:3]), "int32"),
    ("cross", lambda: ops.cross(A[:, :3], POS[:, :3]), lambda: np.cross(A[:, :3], POS[:, :3]),
     "float32"),
    ("cross_2d", lambda: ops.cross(A[0, :2], POS[0, :3]),
     lambda: np.cross(np.append(A[0, :2], 0), POS[0, :3]),
     "float32"),
    ("correlate_valid", lambda: ops.correlate(A[0], A[1, :2]),
     lambda: np.correlate(A[0], A[1, :2]), "float32"),
    ("correlate_same", lambda: ops.correlate(A[0], A[1, :3], mode="same"),
     lambda: np.correlate(A[0], A[1, :3], mode="same"), "float32"),
    ("correlate_full", lambda: ops.correlate(A[0, :2], A[1], mode="full"),
     lambda: np.correlate(A[0, :2], A[1], mode="full"), "float32"),
    ("trapezoid", lambda: ops.trapezoid(A), lambda: np.trapezoid(A), "float32"),
    ("trapezoid_x", lambda: ops.trapezoid(A, x=np.array([0.0, 1, 3, 4]), axis=1),
     lambda: np.trapezoid(A, x=[0.0, 1, 3, 4], axis=1), "float32"),
    ("trapezoid_dx", lambda: ops.trapezoid(I1, dx=0.5), lambda: np.trapezoid(I1, dx=0.5),
     "float32"),
    ("vander", lambda: ops.vander(I1[:3]), lambda: np.vander(I1[:3]), "int32"),
    ("vander_n", lambda: ops.vander(A[0], N=3, increasing=True),
     lambda: np.vander(A[0], N=3, increasing=True), "float32"),
    ("corrcoef", lambda: ops.corrcoef(A), lambda: np.corrcoef(A), "float32"),
    # searching, counting, sets
    ("digitize", lambda: ops.digitize(A, [-1.0, 0.0, 1.0]),
     lambda: np.digitize(A, [-1.0, 0.0, 1.0]), "int32"),
    ("digitize_decreasing", lambda: ops.digitize(I1, np.array([5.0, 0.0])),
     lambda: np.digitize(I1, [5.0, 0.0]), "int32"),
    ("searchsorted", lambda: ops.searchsorted(np.array([1, 2, 3, 5]), I2, side="right"),
     lambda: np.searchsorted([1, 2, 3, 5], I2, side="right"), "int32"),
    ("isin", lambda: ops.isin(INTS, [0, 1, 2]), lambda: np.isin(INTS, [0, 1, 2]), "bool"),
    ("isin_invert", lambda: ops.isin(INTS, [0, 1], invert=True),
     lambda: np.isin(INTS, [0, 1], invert=True), "bool"),
    ("bincount", lambda: ops.bincount(np.array([0, 1, 1, 4])),
     lambda: np.bincount([0, 1, 1, 4]), "int32"),
    ("bincount_weights", lambda: ops.bincount(np.array([0, 1, 1]), weights=np.array([1.0, 2, 3]),
                                               minlength=4),
     lambda: np.bincount([0, 1, 1], weights=[1.0, 2, 3], minlength=4), "float32"),
    ("count_nonzero", lambda: ops.count_nonzero(INTS, axis=0),
     lambda: np.count_nonzero(INTS, axis=0), "int32"),
    ("select", lambda: ops.select([INTS < 0, INTS > 2], [INTS, INTS * 10], default=-1),
     lambda: np.select([INTS < 0, INTS > 2], [INTS, INTS * 10], default=-1), "int32"),
    ("empty_like", lambda: ops.empty_like(INTS).shape, lambda: INTS.shape, None),
    ("view", lambda: ops.view(np.array([1.0, 2.0], np.float32), "int32"),
     lambda: np.array([1.0, 2.0], np.float32).view(np.int32), "int32"),
    ("logspace", lambda: ops.logspace(0, 2, 5), lambda: np.logspace(0, 2, 5), "float32"),
    ("logspace_base", lambda: ops.logspace(0, 3, 4, base=2, dtype="int32"),
     lambda: np.logspace(0, 3, 4, base=2), "int32"),
    ("geomspace", lambda: ops.geomspace(1, 1000, 4), lambda: np.geomspace(1, 1000, 4), "float32"),
    ("geomspace_neg", lambda: ops.geomspace(-1.0, -16.0, 5, endpoint=False),
     lambda: np.geomspace(-1.0, -16.0, 5, endpoint=False), "float32"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_numpy(case):
    _, ours, reference, dtype = case
    result = ours()
    if isinstance(result, torch.Size):
        assert tuple(result) == tuple(reference())
        return
    np.testing.assert_allclose(_np(result), np.asarray(reference(), dtype=np.float64),
                               rtol=1e-5, atol=1e-5, equal_nan=True)
    if dtype is not None:
        assert _dtype(result) == dtype


def test_namespaces():
    for name in ("array", "nanmean", "unique", "vectorize", "bitwise_not", "conjugate"):
        assert getattr(ops, name) is getattr(lamina.ops.numpy, name)
        assert name in lamina.ops.numpy.__all__


def test_nan_reductions_all_nan_and_float16():
    x = np.array([[np.nan, np.nan], [1.0, 2.0]], np.float16)
    assert np.isnan(_np(ops.nanmax(x, axis=1))[0])
    assert _dtype(ops.nanmean(x)) == "float16"
    assert _dtype(ops.nanmedian(x)) == "float16"
    assert _dtype(ops.percentile(x, 50)) == "float16"


def test_splits():
    x = np.arange(24).reshape(2, 3, 4)
    for ours, theirs in [(ops.array_split(np.arange(7), 3), np.array_split(np.arange(7), 3)),
                         (ops.array_split(x, [1, 2], axis=2), np.array_split(x, [1, 2], axis=2)),
                         (ops.hsplit(x, 3), np.hsplit(x, 3)),
                         (ops.vsplit(x, [1]), np.vsplit(x, [1])),
                         (ops.dsplit(x, 2), np.dsplit(x, 2)),
                         (ops.hsplit(np.arange(6), 2), np.hsplit(np.arange(6), 2))]:
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(_np(a), b)
    with pytest.raises(ValueError):
        ops.dsplit(np.arange(4).reshape(2, 2), 2)


def test_unique():
    x = np.array([3, 1, 3, 2, 1, 1], np.int32)
    values, index, inverse, counts = ops.unique(x, return_index=True, return_inverse=True,
                                                return_counts=True)
    ref = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for ours, theirs in zip((values, index, inverse, counts), ref):
        np.testing.assert_array_equal(_np(ours), theirs)
        assert _dtype(ours) == "int32"
    np.testing.assert_array_equal(_np(ops.unique(x, size=5)), [1, 2, 3, 1, 1])
    np.testing.assert_array_equal(_np(ops.unique(x, size=4, fill_value=-1)), [1, 2, 3, -1])
    rows = np.array([[1, 2], [1, 2], [0, 3]])
    np.testing.assert_array_equal(_np(ops.unique(rows, axis=0)), np.unique(rows, axis=0))


def test_nonzero_unravel_histogram_slogdet():
    for ours, theirs in zip(ops.nonzero(INTS), np.nonzero(INTS)):
        np.testing.assert_array_equal(_np(ours), theirs)
        assert _dtype(ours) == "int32"
    for ours, theirs in zip(ops.unravel_index(np.array([1, 5, 4]), (2, 3)),
                            np.unravel_index([1, 5, 4], (2, 3))):
        np.testing.assert_array_equal(_np(ours), theirs)
    counts, edges = ops.histogram(A, bins=5)
    ref_counts, ref_edges = np.histogram(A, bins=5)
    np.testing.assert_array_equal(_np(counts), ref_counts)
    np.testing.assert_allclose(_np(edges), ref_edges, rtol=1e-5)
    counts, _ = ops.histogram(INTS, bins=3, range=(0, 4))
    np.testing.assert_array_equal(_np(counts), np.histogram(INTS, bins=3, range=(0, 4))[0])
    sign, logdet = ops.slogdet(np.eye(3, dtype=np.float32) * -2)
    np.testing.assert_allclose([_np(sign), _np(logdet)], np.linalg.slogdet(-2 * np.eye(3)),
                               rtol=1e-5)
    ranked = _np(ops.argpartition(I2, 1))
    assert sorted(I2[ranked[:2]]) == sorted(np.partition(I2, 1)[:2])


def test_vectorize():
    add = ops.vectorize(lambda a, b: a + b)
    np.testing.assert_array_equal(_np(add(np.array([[1, 2]]), np.array([10, 20]))), [[11, 22]])
    dot = ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")
    np.testing.assert_allclose(_np(dot(A, A[0])), A @ A[0], rtol=1e-5)
    scale = ops.vectorize(lambda a, k: a * k, excluded={1})
    np.testing.assert_allclose(_np(scale(A, 3.0)), A * 3.0)


def test_errors_match_keras():
    with pytest.raises(TypeError):
        ops.append(np.ones((2, 2)), np.ones(2), axis=0)
    with pytest.raises(ValueError):
        ops.gcd(A, A)
    with pytest.raises(TypeError):
        ops.ldexp(A, A)
    with pytest.raises(TypeError):
        ops.bitwise_and(A, I1[:4])
    with pytest.raises(ValueError):
        ops.average(np.ones((3, 2)), weights=np.array([0.25, 0.75]))
    np.testing.assert_allclose(_np(ops.average(np.ones((3, 2)), axis=1,
                                               weights=np.array([0.25, 0.75]))), np.ones(3))
    np.testing.assert_array_equal(_np(ops.append(np.ones((2, 2)), np.zeros(2))),
                                  np.append(np.ones((2, 2)), np.zeros(2)))


def test_symbolic_shapes():
    x = lamina.Input((3,))
    for op, shape in [(ops.nanmean(x, axis=1), (None,)), (ops.arccos(x), (None, 3)),
                      (ops.nanmax(x, axis=-1, keepdims=True), (None, 1)),
                      (ops.hypot(x, x), (None, 3)), (ops.array(x), (None, 3)),
                      (ops.nanquantile(x, [0.2, 0.5], axis=1), (2, None)),
                      (ops.trunc(x), (None, 3))]:
        assert isinstance(op, KerasTensor)
        assert tuple(op.shape) == shape
