"""Preprocessing layers in keras.io's tf.data pipelines: called inside `Dataset.map` (graph
tensors, run through `tf.numpy_function`), on eager tf tensors (a batch taken from a dataset),
and adapted on a tf.data dataset of strings. Expected values are what Keras 3.15.1 on torch
printed for the same lines (the layers' own arithmetic is checked elsewhere)."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.utils import tf_tensors


class EagerTensor:
    """Looks like TensorFlow's eager tensor to lamina (class name and module): the eager path
    is checked here without TensorFlow."""

    __module__ = "tensorflow.python.framework.ops"

    def __init__(self, array):
        self._array = np.asarray(array)
        self._array.flags.writeable = False  # as `.numpy()` of a tf tensor often is

    def numpy(self):
        return self._array


def test_an_eager_tf_tensor_is_read_as_numpy_without_warnings():
    tensor = EagerTensor(np.full((2, 3), 255.0, "float32"))
    assert tf_tensors.is_tf_tensor(tensor) and tf_tensors.contains_tf_tensor({"a": [tensor]})
    out = layers.Rescaling(1.0 / 255)(tensor)  # (no read-only warning: warnings are errors)
    np.testing.assert_allclose(out.numpy(), np.ones((2, 3)))
    lookup = layers.StringLookup(vocabulary=["a", "b"])
    assert lookup(EagerTensor(np.array([b"a", b"c"], dtype=object))).tolist() == [1, 0]
    vectorize = layers.TextVectorization(vocabulary=["a", "b"])
    assert vectorize(EagerTensor(np.array([b"a b c", b"b"], dtype=object))).tolist() == [
        [2, 3, 1], [3, 0, 0]]


def test_text_vectorization_adapts_on_batches_of_tf_strings():
    vectorize = layers.TextVectorization(max_tokens=10)
    vectorize.adapt(iter([EagerTensor(np.array([b"the cat", b"the dog"], dtype=object))]))
    assert vectorize.get_vocabulary() == ["", "[UNK]", "the", "dog", "cat"]


def test_read_only_arrays_are_taken_without_warnings():
    array = np.ones((2, 3), "float32")
    array.flags.writeable = False
    assert layers.Dense(2)(array).shape == (2, 2)


@pytest.fixture
def tf():
    return pytest.importorskip("tensorflow")


def test_layers_inside_dataset_map(tf):
    x = np.full((4, 2, 2, 3), 255.0, "float32")
    ds = tf.data.Dataset.from_tensor_slices((x, np.arange(4))).batch(2)
    rescale = layers.Rescaling(1.0 / 255)
    images, labels = next(iter(ds.map(lambda a, b: (rescale(a), b))))
    assert images.shape == (2, 2, 2, 3) and images.dtype == tf.float32
    np.testing.assert_allclose(images.numpy(), np.ones((2, 2, 2, 3)))
    texts = tf.data.Dataset.from_tensor_slices(["a b", "b c"]).batch(2)
    vectorize = layers.TextVectorization(vocabulary=["a", "b"])
    ids = next(iter(texts.map(vectorize)))
    assert ids.dtype == tf.int64 and ids.numpy().tolist() == [[2, 3], [3, 1]]
    assert texts.map(vectorize).element_spec.shape.as_list() == [None, None]


def test_a_model_fits_on_a_dataset_mapped_through_a_feature_space(tf):
    data = {"age": np.array([20.0, 30.0, 40.0, 50.0], "float32"),
            "city": np.array(["a", "b", "a", "c"])}
    space = lamina.utils.FeatureSpace(
        features={"age": "float_normalized", "city": "string_categorical"}, output_mode="concat")
    ds = tf.data.Dataset.from_tensor_slices((data, np.array([0, 1, 0, 1]))).batch(2)
    space.adapt(ds.map(lambda x, y: x))
    encoded_ds = ds.map(lambda x, y: (space(x), y))
    encoded, _ = next(iter(encoded_ds))
    eager = space({k: v[:2] for k, v in data.items()})
    np.testing.assert_allclose(encoded.numpy(), lamina.ops.convert_to_numpy(eager), rtol=1e-6)
    model = lamina.Sequential([lamina.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    history = model.fit(encoded_ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
