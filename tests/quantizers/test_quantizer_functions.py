"""lamina.quantizers' numbers against Keras 3.15's, recorded on JAX by
tests/fixtures/more_namespaces/make_quantizers_fixture.py: values, dtypes and the
straight-through gradients of fake quantization."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import layers, models, quantizers

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "more_namespaces"
KERAS = np.load(FIXTURES / "quantizers.npz")
META = json.loads((FIXTURES / "quantizers.json").read_text())


def same(actual, expected, rtol=0.0, atol=0.0):
    actual = actual.detach().numpy() if isinstance(actual, torch.Tensor) else np.asarray(actual)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("case, kwargs", [
    ("abs_max_last", dict(axis=-1)), ("abs_max_first", dict(axis=0)),
    ("abs_max_both", dict(axis=(0, 1))), ("abs_max_int4", dict(axis=-1, value_range=(-8, 7))),
    ("abs_max_numpy", dict(axis=-1, to_numpy=True)),
])
def test_abs_max_quantize_matches_keras(case, kwargs):
    q, scale = quantizers.abs_max_quantize(torch.from_numpy(KERAS["abs_max/x"]), **kwargs)
    same(q, KERAS[f"{case}/q"])
    same(scale, KERAS[f"{case}/scale"], rtol=1e-6)


def test_abs_max_quantizer_matches_keras_and_round_trips():
    quantizer = quantizers.AbsMaxQuantizer(value_range=(-100, 100))
    x = torch.from_numpy(KERAS["abs_max/x"])
    q, scale = quantizer(x, axis=0)
    same(q, KERAS["abs_max_quantizer/q"])
    same(scale, KERAS["abs_max_quantizer/scale"], rtol=1e-6)
    # x ≈ q / scale: off by at most half a quantization step
    assert torch.all((q.float() / scale - x).abs() <= 0.5 / scale + 1e-6)


@pytest.mark.parametrize("case, kwargs", [
    ("grouped_tensor", dict(block_size=4)), ("grouped_numpy", dict(block_size=4, to_numpy=True)),
    ("grouped_int8", dict(block_size=5, value_range=(-128, 127))),
])
def test_grouped_quantization_with_zero_point_matches_keras(case, kwargs):
    q, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(
        torch.from_numpy(KERAS["grouped/w"]), **kwargs)
    same(q, KERAS[f"{case}/q"])
    same(scale, KERAS[f"{case}/scale"], rtol=1e-6)
    same(zero, KERAS[f"{case}/zero"])


FAKE_CASES = ["fake_tensor_8", "fake_tensor_4_narrow", "fake_positive_range",
              "fake_channel_last", "fake_channel_first"]


@pytest.mark.parametrize("case", FAKE_CASES)
def test_fake_quant_values_and_straight_through_gradients_match_keras(case):
    x = torch.tensor(KERAS["fake_quant/x"], requires_grad=True)
    low = torch.tensor(KERAS[f"{case}/min"], requires_grad=True)
    high = torch.tensor(KERAS[f"{case}/max"], requires_grad=True)
    out = quantizers.fake_quant_with_min_max_vars(x, low, high, **META[case])
    same(out, KERAS[f"{case}/out"], atol=1e-6)
    out.backward(torch.from_numpy(KERAS["fake_quant/upstream"]))
    same(x.grad, KERAS[f"{case}/dx"])
    same(low.grad, KERAS[f"{case}/dmin"], atol=1e-6)
    same(high.grad, KERAS[f"{case}/dmax"], atol=1e-6)


def test_fake_quant_by_formula():
    """8 bits over [0, 2.55]: steps of 0.01; values round to the nearest step and clamp."""
    x = torch.tensor([-1.0, 0.0, 0.004, 0.006, 1.234, 2.55, 9.0])
    out = quantizers.fake_quant_with_min_max_vars(x, 0.0, 2.55)
    np.testing.assert_allclose(out.numpy(), [0.0, 0.0, 0.0, 0.01, 1.23, 2.55, 2.55], atol=1e-6)


def test_fake_quant_per_channel_on_a_middle_axis_broadcasts_along_that_axis():
    x = torch.linspace(-3, 3, 2 * 3 * 4).reshape(2, 3, 4)
    low, high = torch.tensor([-1.0, -2.0, -0.5]), torch.tensor([1.0, 2.0, 0.5])
    out = quantizers.fake_quant_with_min_max_vars(x, low, high, axis=1)
    for channel in range(3):
        expected = quantizers.fake_quant_with_min_max_vars(x[:, channel], low[channel],
                                                           high[channel])
        torch.testing.assert_close(out[:, channel], expected)


def test_fake_quant_works_on_symbolic_tensors_in_a_model():
    inputs = layers.Input((3,))
    outputs = quantizers.fake_quant_with_min_max_vars(inputs, -1.0, 1.0, num_bits=4)
    model = models.Model(inputs, outputs)
    assert model.output_shape == (None, 3)
    x = np.array([[0.5, 2.0, -3.0]], dtype="float32")
    direct = quantizers.fake_quant_with_min_max_vars(torch.from_numpy(x), -1.0, 1.0, num_bits=4)
    np.testing.assert_array_equal(model.predict(x, verbose=0), direct.numpy())


def test_fake_quant_gradients_train_the_range():
    """Inputs above the range push `max_vals` up by the upstream gradient they carry."""
    high = torch.tensor(1.0, requires_grad=True)
    out = quantizers.fake_quant_with_min_max_vars(torch.tensor([0.2, 3.0, 5.0]), -1.0, high)
    (out * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert high.grad.item() == 5.0


def test_float8_scale_matches_keras():
    amax = torch.from_numpy(KERAS["float8_scale/amax"])
    scale = torch.from_numpy(KERAS["float8_scale/scale"])
    same(quantizers.compute_float8_scale(amax, scale, 448.0), KERAS["float8_scale/m0"],
         rtol=1e-7)
    same(quantizers.compute_float8_scale(amax, scale, 57344.0, margin=2),
         KERAS["float8_scale/m2"], rtol=1e-7)


def test_amax_history_matches_keras():
    out = quantizers.compute_float8_amax_history(torch.from_numpy(KERAS["amax_history/x"]),
                                                 torch.from_numpy(KERAS["amax_history/history"]))
    same(out, KERAS["amax_history/out"])


@pytest.mark.parametrize("dtype", ["float8_e4m3fn", "float8_e5m2"])
@pytest.mark.parametrize("compute", ["float32", "float16"])
def test_quantize_and_dequantize_matches_keras(dtype, compute):
    with np.errstate(over="ignore"):  # 1e6 is inf in float16, as in the recording
        x = KERAS["qdq/x"].astype(compute)
    out = quantizers.quantize_and_dequantize(torch.from_numpy(x), torch.tensor(0.75), dtype,
                                             compute)
    same(out, KERAS[f"qdq_{dtype}_{compute}/out"])


def test_quantize_and_dequantize_refuses_other_dtypes():
    with pytest.raises(ValueError, match="float8_e4m3fn.*int8"):
        quantizers.quantize_and_dequantize(torch.ones(2), 1.0, "int8", "float32")


@pytest.mark.parametrize("case", ["pack_axis0", "pack_axis1", "pack_3d_last", "pack_3d_middle",
                                  "pack_uint8"])
def test_int4_packing_matches_keras_and_unpacks_to_the_original(case):
    meta = META[case]
    array = torch.from_numpy(KERAS[f"{case}/array"])
    packed, shape, length = quantizers.pack_int4(array, axis=meta["axis"], dtype=meta["dtype"])
    same(packed, KERAS[f"{case}/packed"])
    assert shape == tuple(meta["shape"]) and length == meta["length"]
    unpacked = quantizers.unpack_int4(packed, length, axis=meta["axis"], dtype=meta["dtype"])
    same(unpacked, KERAS[f"{case}/unpacked"])
    torch.testing.assert_close(unpacked, array)


def test_int4_packing_docstring_example():
    """Keras's documented example: [[-3, 7], [2, -8], [1, 0]] packs to [[45, -121], [1, 0]]."""
    packed, _, length = quantizers.pack_int4(np.array([[-3, 7], [2, -8], [1, 0]], "int8"))
    assert packed.tolist() == [[45, -121], [1, 0]] and length == 3


def test_int4_packing_refuses_wrong_dtypes():
    with pytest.raises(TypeError, match=r"packs a int8 tensor.*int32"):
        quantizers.pack_int4(torch.zeros(4, dtype=torch.int32))
    with pytest.raises(ValueError, match="'int8' or 'uint8'"):
        quantizers.pack_int4(torch.zeros(4, dtype=torch.int8), dtype="int4")
    with pytest.raises(TypeError, match="int8 or uint8"):
        quantizers.unpack_int4(torch.zeros(4), 8)
