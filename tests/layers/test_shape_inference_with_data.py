"""Shape inference of layers whose call reads values: meta tensors carry no data, so lamina
runs such a layer on zero-filled stand-ins instead (lamina/layers/layer.py, _stand_in_runs).
The cases come from Keras's examples (the translation transformer's causal mask)."""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import layers, ops


class CausalScores(layers.Layer):
    """Builds its tile count from ops.shape, as the translation example's decoder does: the
    count is a tensor whose values `ops.tile` must read."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.proj = layers.Dense(4)  # built during inference, on real stand-in data

    def call(self, x):
        shape = ops.shape(x)
        i = ops.arange(shape[1])[:, None]
        j = ops.arange(shape[1])
        mask = ops.reshape(ops.cast(i >= j, "float32"), (1, shape[1], shape[1]))
        mult = ops.concatenate([ops.expand_dims(shape[0], -1), ops.convert_to_tensor([1, 1])], 0)
        causal = ops.tile(mask, mult)
        return ops.matmul(causal, self.proj(x))


def test_a_layer_reading_values_builds_on_symbolic_inputs():
    inputs = keras.Input((None, 3))
    layer = CausalScores()
    outputs = layer(inputs)
    assert outputs.shape == (None, None, 4)
    # the sublayer built during inference records an open batch axis, as with meta tensors
    shape = layer.proj._build_shapes
    assert shape[0] is None and shape[-1] == 3 and layer.proj.kernel.shape == (3, 4)
    model = keras.Model(inputs, outputs)
    x = np.arange(2 * 5 * 3, dtype="float32").reshape(2, 5, 3) / 10
    expected = np.cumsum(ops.convert_to_numpy(layer.proj(x)), axis=1)  # lower-triangular sum
    np.testing.assert_allclose(ops.convert_to_numpy(model(x)), expected, rtol=1e-5, atol=1e-6)


def test_inference_with_data_leaves_no_losses_and_no_state_changes():
    class Regularized(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.norm = layers.BatchNormalization()

        def call(self, x, training=None):
            y = self.norm(x, training=training)
            repeats = ops.convert_to_tensor([1, 2])
            self.add_loss(ops.sum(y))
            return ops.tile(y, repeats)

    layer = Regularized()
    layer.norm.build((None, 3))
    inputs = keras.Input((3,))
    outputs = layer(inputs, training=True)  # training: BatchNormalization would update
    assert outputs.shape == (None, 6)
    assert layer.losses == []
    np.testing.assert_array_equal(layer.norm.moving_mean.numpy(), np.zeros(3, "float32"))
    np.testing.assert_array_equal(layer.norm.moving_variance.numpy(), np.ones(3, "float32"))
    model = keras.Model(inputs, outputs)
    model(np.ones((2, 3), "float32"))
    assert len(model.losses) == 1  # real calls still add their loss


def test_a_genuine_error_still_names_the_layer_and_the_shapes():
    class Broken(layers.Layer):
        def call(self, x):
            return ops.matmul(x, ops.ones((5, 2)))  # wrong inner dimension for (None, 3)

    with pytest.raises(ValueError, match=r'Layer "broken".*\(None, 3\)'):
        Broken(name="broken")(keras.Input((3,)))


def test_one_output_of_a_layer_passing_several_masks_on_gets_the_first():
    """A decoder taking [x, context] with supports_masking: Keras attaches the first of the
    flattened masks to its one output (so a Dropout after it works)."""

    class Decoder(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            x, context = inputs
            return x + ops.mean(context, axis=1, keepdims=True)

    ids = keras.Input((None,), dtype="int32")
    other = keras.Input((None,), dtype="int32")
    x = layers.Embedding(10, 4, mask_zero=True)(ids)
    context = layers.Embedding(10, 4, mask_zero=True)(other)
    decoded = Decoder()([x, context])
    out = layers.Dropout(0.5)(decoded)
    model = keras.Model([ids, other], out)
    a = np.array([[1, 2, 0]], "int32")
    b = np.array([[3, 0, 0, 0]], "int32")
    result = model([a, b])
    np.testing.assert_array_equal(result._keras_mask.numpy(), a != 0)
    eager = Decoder()([torch.ones(1, 3, 4), torch.ones(1, 4, 4)],
                      mask=[torch.tensor(a != 0), torch.tensor(b != 0)])
    np.testing.assert_array_equal(eager._keras_mask.numpy(), a != 0)
