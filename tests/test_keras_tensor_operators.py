"""Python operators on symbolic tensors record operations, as Keras 3's KerasTensor does
(`inputs != 0` for a padding mask used to be Python's identity test: always True)."""

import numpy as np
import pytest

import lamina as keras


def test_operators_build_a_graph_that_computes_numpys_results():
    x = keras.Input((4,), dtype="int32")
    f = keras.Input((4,))
    outputs = [x != 0, x // 3, 7 // (x + 1), x % 3, 10 % (x + 1), ~(x > 1), (x > 0) & (x < 3),
               True & (x > 0), (x > 2) | (x < 1), False | (x > 2), (x > 0) ^ (x < 3),
               True ^ (x > 0), 2 ** x, round(f * 10.0), round(f), (x - 1).squeeze(),
               x.reshape((-1, 2, 2))]
    model = keras.Model([x, f], outputs)
    xs = np.array([[0, 1, 2, 3]], "int32")
    fs = np.array([[0.14, -0.26, 1.5, 2.5]], "float32")
    got = model.predict([xs, fs], verbose=0)
    expected = [xs != 0, xs // 3, 7 // (xs + 1), xs % 3, 10 % (xs + 1), ~(xs > 1),
                (xs > 0) & (xs < 3), True & (xs > 0), (xs > 2) | (xs < 1), False | (xs > 2),
                (xs > 0) ^ (xs < 3), True ^ (xs > 0), 2 ** xs, np.round(fs * 10.0),
                np.round(fs), (xs - 1).squeeze(), xs.reshape((-1, 2, 2))]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(np.asarray(a).reshape(np.shape(b)), b, rtol=1e-6)


def test_keras_tensor_attributes_and_refusals():
    x = keras.Input((3,))
    assert (x.sparse, x.ragged, x.ragged_rank, x.row_splits_dtype) == (False, False, None, None)
    for convert in (int, float, np.asarray):
        with pytest.raises(ValueError, match="symbolic"):
            convert(x)


def test_symbolic_tensors_get_keras_auto_names():
    # Keras: Input(name="feat").name == "feat"; a layer's output is "keras_tensor" (then
    # "keras_tensor_1", ...); lamina gave None.
    keras.utils.clear_session()
    inputs = keras.Input((3,), name="feat")
    first = keras.layers.Dense(2)(inputs)
    second = keras.layers.Dense(2)(first)
    assert (inputs.name, first.name, second.name) == ("feat", "keras_tensor", "keras_tensor_1")
