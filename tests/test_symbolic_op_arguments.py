"""Ops on symbolic tensors whose fixed arguments come first (`einsum(subscripts, *operands)`,
`searchsorted(sorted_sequence, values)`) or whose first operand is a constant tensor
(`ops.ones((3,)) + x`, `numpy_array * x`): recorded in the graph and computed as numpy does;
the einsum model also crosses a `.keras` file."""

import numpy as np

import lamina as keras
from lamina import ops


def test_fixed_arguments_before_the_tensors(tmp_path):
    inputs = keras.Input((5, 3))
    outputs = [ops.einsum("btc,bsc->bts", inputs, inputs), ops.einsum("bij->bji", inputs),
               ops.einsum("...c,...c->...", inputs, inputs),
               ops.searchsorted(ops.convert_to_tensor([0.0, 0.5, 1.0]), inputs),
               ops.clip(inputs, 0.2, 0.5)]
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).random((2, 5, 3)).astype("float32")
    expected = [np.einsum("btc,bsc->bts", x, x), np.einsum("bij->bji", x),
                np.einsum("...c,...c->...", x, x), np.searchsorted([0.0, 0.5, 1.0], x),
                np.clip(x, 0.2, 0.5)]
    for got, want in zip(model.predict(x, verbose=0), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    attention = keras.Model(inputs, outputs[0])
    attention.save(tmp_path / "einsum.keras")
    reloaded = keras.saving.load_model(tmp_path / "einsum.keras")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), expected[0], rtol=1e-5)


def test_a_constant_first_operand():
    inputs = keras.Input((3,))
    table = np.arange(3, dtype="float32")
    outputs = [ops.ones((3,)) + inputs, ops.add(ops.ones((3,)), inputs),
               ops.matmul(ops.eye(3), ops.expand_dims(inputs, -1)), table * inputs,
               table - inputs, ops.where(ops.ones((3,)) > 0, inputs, 0.0)]
    model = keras.Model(inputs, outputs)
    x = np.array([[1.0, 2.0, 3.0]], "float32")
    expected = [1 + x, 1 + x, x[..., None], table * x, table - x, x]
    for got, want in zip(model.predict(x, verbose=0), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_files_cross_with_keras_for_constant_operands_and_keras_spelled_ops(tmp_path):
    import json
    import pathlib
    import zipfile

    fixtures = pathlib.Path(__file__).resolve().parent / "fixtures" / "keras_op_names"
    reference = np.load(fixtures / "constant_operands.npz")
    model = keras.saving.load_model(fixtures / "constant_operands.keras")  # written by Keras
    outputs = model.predict(reference["x"], verbose=0)
    for i, got in enumerate(outputs):
        np.testing.assert_allclose(got, reference[f"y{i}"], rtol=1e-6)
    model.save(tmp_path / "again.keras")
    layers = json.loads(zipfile.ZipFile(tmp_path / "again.keras").read("config.json"))[
        "config"]["layers"]
    ours = {(entry["module"], entry["class_name"]) for entry in layers[1:]}
    theirs = {(entry["module"], entry["class_name"]) for entry in json.loads(zipfile.ZipFile(
        fixtures / "constant_operands.keras").read("config.json"))["config"]["layers"][1:]}
    assert ours == theirs  # e.g. ("keras.src.ops.numpy", "SearchSorted"), (".math", "Rsqrt")
    searchsorted = next(e for e in layers if e["class_name"] == "SearchSorted")
    assert searchsorted["inbound_nodes"][0]["args"][0]["class_name"] == "__tensor__"
    again = keras.saving.load_model(tmp_path / "again.keras")
    for got, want in zip(again.predict(reference["x"], verbose=0), outputs):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_control_flow_and_casting_ops_take_symbolic_tensors():
    inputs = keras.Input((3,))
    outputs = [ops.saturate_cast(inputs * 100, "uint8"), ops.map(lambda v: v * 2, inputs),
               ops.associative_scan(lambda a, b: a + b, inputs, axis=1),
               ops.vectorized_map(lambda v: v * 2, inputs),
               ops.scan(lambda carry, v: (carry + v, carry + v), ops.zeros((3,)), inputs)[1]]
    model = keras.Model(inputs, outputs)
    x = np.array([[0.5, -1.0, 3.0], [1.0, 2.0, 3.0]], "float32")
    expected = [np.clip(x * 100, 0, 255).astype("uint8"), 2 * x, np.cumsum(x, axis=1), 2 * x,
                np.cumsum(x, axis=0)]
    for got, want in zip(model.predict(x, verbose=0), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)
