"""AdaptiveAverage/MaxPooling1D/2D/3D: shapes, bins (non-divisible sizes), config, symbolic use."""

import math

import numpy as np
import pytest
import torch

import lamina
from lamina import layers

KINDS = {"Average": np.mean, "Max": np.max}


def _reference(x, output_size, reduce):
    """numpy reference, channels_last: bin i of an axis of length L into n covers
    [floor(i * L / n), ceil((i + 1) * L / n))."""
    spatial = x.shape[1:-1]
    out = np.zeros((x.shape[0], *output_size, x.shape[-1]), x.dtype)
    for index in np.ndindex(*output_size):
        window = tuple(slice(math.floor(i * length / n), math.ceil((i + 1) * length / n))
                       for i, length, n in zip(index, spatial, output_size))
        out[(slice(None), *index)] = reduce(x[(slice(None), *window)],
                                            axis=tuple(range(1, len(spatial) + 1)))
    return out


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("shape,output_size", [
    ((2, 7, 3), (3,)), ((1, 3, 2), (5,)), ((2, 8, 4), (4,)),
    ((1, 5, 7, 2), (3, 4)), ((1, 6, 6, 1), (2, 2)),
    ((1, 5, 4, 7, 2), (2, 3, 4)),
])
def test_matches_bin_formula(kind, shape, output_size):
    rank = len(output_size)
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    layer = getattr(layers, f"Adaptive{kind}Pooling{rank}D")(output_size)
    out = layer(torch.tensor(x)).numpy()
    np.testing.assert_allclose(out, _reference(x, output_size, KINDS[kind]), rtol=1e-6, atol=1e-6)
    # channels_first gives the same numbers with the channel axis moved
    first = getattr(layers, f"Adaptive{kind}Pooling{rank}D")(output_size,
                                                             data_format="channels_first")
    out_first = first(torch.tensor(np.moveaxis(x, -1, 1))).numpy()
    np.testing.assert_allclose(np.moveaxis(out_first, 1, -1), out, rtol=1e-6, atol=1e-6)


def test_keras_reference_values():
    # Reference values from Keras 3.15.1 (JAX backend).
    x = np.stack([np.arange(0, 14, 2), [3, -1, 4, 1, -5, 9, 2]], axis=-1)[None].astype("float32")
    np.testing.assert_allclose(layers.AdaptiveAveragePooling1D(3)(x).numpy(),
                               [[[2, 2], [6, 0], [10, 2]]], atol=1e-6)
    np.testing.assert_allclose(layers.AdaptiveMaxPooling1D(3)(x).numpy(),
                               [[[4, 4], [8, 4], [12, 9]]])
    np.testing.assert_allclose(layers.AdaptiveAveragePooling1D(5)(x[:, :3]).numpy(),
                               [[[0, 3], [1, 1], [2, -1], [3, 1.5], [4, 4]]], atol=1e-6)
    y = np.array([3, -1, 4, 1, -5, 9, 2, 6, 5, -3, 5, 8, 9, 7, 9], "float32").reshape(1, 1, 3, 5)
    avg = layers.AdaptiveAveragePooling2D((2, 3), data_format="channels_first")(y).numpy()
    np.testing.assert_allclose(avg, [[[[3.25, 2.833333, -0.5], [6.0, 6.166667, 4.5]]]],
                               rtol=1e-5)
    big = layers.AdaptiveMaxPooling2D((2, 3), data_format="channels_first")(y).numpy()
    np.testing.assert_allclose(big, [[[[9, 6, 5], [9, 9, 9]]]])


def test_arguments_config_and_symbolic_call():
    layer = layers.AdaptiveMaxPooling2D(2)
    assert layer.output_size == (2, 2) and layer.data_format == "channels_last"
    assert layer.weights == []
    config = layer.get_config()
    assert config["output_size"] == (2, 2) and config["data_format"] == "channels_last"
    clone = layers.AdaptiveMaxPooling2D.from_config(config)
    assert clone.output_size == (2, 2)
    restored = lamina.layers.deserialize(lamina.layers.serialize(layers.AdaptiveAveragePooling3D(
        (1, 2, 3), data_format="channels_first")))
    assert type(restored) is layers.AdaptiveAveragePooling3D
    assert restored.output_size == (1, 2, 3) and restored.data_format == "channels_first"

    inputs = lamina.Input((9, 7, 3))
    assert layers.AdaptiveAveragePooling2D((4, 5))(inputs).shape == (None, 4, 5, 3)
    inputs = lamina.Input((None, 3))
    assert layers.AdaptiveMaxPooling1D(4)(inputs).shape == (None, 4, 3)
    inputs = lamina.Input((3, 10, 10))
    model = lamina.Model(inputs, layers.AdaptiveAveragePooling2D(
        2, data_format="channels_first")(inputs))
    x = np.random.default_rng(1).standard_normal((2, 3, 10, 10)).astype("float32")
    np.testing.assert_allclose(model(x).detach().numpy(),
                               x.reshape(2, 3, 2, 5, 2, 5).mean(axis=(3, 5)), rtol=1e-5)


@pytest.mark.parametrize("bad", [(2, 2), "2", 0, (2.0,)])
def test_invalid_output_size(bad):
    with pytest.raises((TypeError, ValueError)):
        layers.AdaptiveAveragePooling1D(bad)
