"""CategoryEncoding takes Python lists, numpy arrays and tensors, as Keras does."""

import numpy as np
import torch

import lamina
from lamina import layers


def test_python_lists():
    one_hot = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")([3, 2, 0, 1])
    np.testing.assert_allclose(one_hot.numpy(), np.eye(4)[[3, 2, 0, 1]])
    multi_hot = layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")(
        [[0, 1], [0, 0], [1, 2], [3, 1]])
    np.testing.assert_allclose(multi_hot.numpy(), [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0],
                                                   [0, 1, 0, 1]])
    count = layers.CategoryEncoding(num_tokens=4, output_mode="count")(
        [[0, 1], [0, 0], [1, 2], [3, 1]],
        count_weights=np.array([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]]))
    assert count.dtype == torch.float32
    np.testing.assert_allclose(count.numpy(), [[0.1, 0.2, 0, 0], [0.2, 0, 0, 0],
                                               [0, 0.2, 0.3, 0], [0, 0.2, 0, 0.4]], rtol=1e-6)
    weighted = layers.CategoryEncoding(num_tokens=4, output_mode="count")(
        [0, 1, 1, 3], count_weights=[0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(weighted.numpy(), [0.1, 0.5, 0, 0.4], rtol=1e-6)


def test_numpy_and_tensor_inputs_agree():
    layer = layers.CategoryEncoding(num_tokens=5)
    ids = np.array([[0, 4], [2, 2]])
    expected = [[1, 0, 0, 0, 1], [0, 0, 1, 0, 0]]
    for value in (ids, ids.astype("float32"), torch.tensor(ids), ids.tolist()):
        np.testing.assert_allclose(layer(value).numpy(), expected)


def test_config_has_keras_keys():
    config = layers.CategoryEncoding(num_tokens=5, output_mode="count").get_config()
    assert config["sparse"] is False  # lamina keeps every constructor argument
    assert layers.CategoryEncoding.from_config(config).output_mode == "count"
    assert layers.CategoryEncoding(num_tokens=5)(lamina.Input((3,), dtype="int32")).shape == (
        None, 5)
