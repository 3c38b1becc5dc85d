import numpy as np
import pytest

import lamina
from lamina.preprocessing.sequence import pad_sequences


def test_defaults_pad_and_truncate_at_the_start():
    # from Keras 3.15.1, JAX backend
    out = lamina.utils.pad_sequences([[1], [2, 3], [4, 5, 6]])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[0, 0, 1], [0, 2, 3], [4, 5, 6]])


def test_post_maxlen_value_dtype():
    out = pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post",
                        value=-1.5, dtype="float32")
    np.testing.assert_array_equal(out, [[1, -1.5], [2, 3], [4, 5]])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(pad_sequences([[1.7, 2], [3]]), [[1, 2], [0, 3]])  # int32 cast


def test_strings_items_and_empty():
    out = pad_sequences([["a", "bb"], ["c"]], dtype=object, value="x")
    assert out.tolist() == [["a", "bb"], ["x", "c"]]
    out = pad_sequences([[[1, 2]], [[3, 4], [5, 6]]])
    assert out.shape == (2, 2, 2) and out[0].tolist() == [[0, 0], [1, 2]]
    assert pad_sequences([], maxlen=3).shape == (0, 3)
    assert pad_sequences([[]]).shape == (1, 0)


def test_errors():
    with pytest.raises(ValueError, match='Padding type "mid" not understood'):
        pad_sequences([[1]], padding="mid")
    with pytest.raises(ValueError, match='Truncating type "x" not understood'):
        pad_sequences([[1, 2]], maxlen=1, truncating="x")
    with pytest.raises(ValueError, match="must be a list of iterables. Found non-iterable: 1"):
        pad_sequences([1, 2])
    with pytest.raises(ValueError, match="is not compatible with `value`'s type"):
        pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match=r"Shape of sample \(1,\) of sequence at position 1"):
        pad_sequences([[[1, 2]], [[3]]])
    with pytest.raises(ValueError, match="`sequences` must be iterable"):
        pad_sequences(5)
