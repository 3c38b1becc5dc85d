"""`from lamina import backend as K`: configuration, session state, Keras 2 tensor helpers."""

import numpy as np
import pytest
import torch

from lamina import backend as K
from lamina import config
from lamina.utils import naming


@pytest.fixture(autouse=True)
def restore_config():
    saved = (config.floatx(), config.epsilon(), config.image_data_format())
    yield
    config.set_floatx(saved[0])
    config.set_epsilon(saved[1])
    config.set_image_data_format(saved[2])


def test_configuration_delegates_to_lamina_config():
    K.set_floatx("float64")
    assert K.floatx() == config.floatx() == "float64"
    K.set_epsilon(1e-5)
    assert K.epsilon() == config.epsilon() == 1e-5
    K.set_image_data_format("channels_first")
    assert K.image_data_format() == config.image_data_format() == "channels_first"
    with pytest.raises(ValueError, match="Unknown data_format"):
        K.set_image_data_format("NHWC")
    assert K.backend() == "torch"


def test_clear_session_resets_names_and_uids():
    naming.unique_name("dense")
    assert naming.unique_name("dense") == "dense_1"
    assert K.get_uid("conv") == 1 and K.get_uid("conv") == 2
    K.clear_session()
    assert naming.unique_name("dense") == "dense"
    assert K.get_uid("conv") == 1
    K.clear_session(free_memory=False)


def test_clear_session_forgets_the_global_dtype_policy_as_keras_does():
    from lamina import layers, mixed_precision

    mixed_precision.set_global_policy("mixed_bfloat16")
    K.clear_session(free_memory=False)
    assert mixed_precision.global_policy().name == "float32"
    mixed_precision.set_global_policy("float32")  # set explicitly: floatx no longer decides
    K.set_floatx("float64")
    assert layers.Dense(1).dtype == "float32"
    K.clear_session(free_memory=False)  # floatx stays; the policy follows it again
    assert layers.Dense(1).dtype == "float64"


def test_dtype_helpers():
    assert K.standardize_dtype(torch.float16) == "float16"
    assert K.is_float_dtype("float32") and K.is_int_dtype("int64")
    assert K.result_type("int32", "float32") == "float32"


X = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], np.float32)


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda: K.mean(X, axis=1), X.mean(axis=1)),
        (lambda: K.sum(X, axis=0, keepdims=True), X.sum(axis=0, keepdims=True)),
        (lambda: K.max(X, axis=1), X.max(axis=1)),
        (lambda: K.min(X), X.min()),
        (lambda: K.square(X), X**2),
        (lambda: K.sqrt(np.abs(X)), np.sqrt(np.abs(X))),
        (lambda: K.abs(X), np.abs(X)),
        (lambda: K.clip(X, -1.0, 2.0), np.clip(X, -1, 2)),
        (lambda: K.exp(X), np.exp(X)),
        (lambda: K.log(np.abs(X)), np.log(np.abs(X))),
        (lambda: K.pow(X, 2), X**2),
        (lambda: K.round(X / 4), np.round(X / 4)),
        (lambda: K.maximum(X, 0.0), np.maximum(X, 0)),
        (lambda: K.minimum(X, 0.0), np.minimum(X, 0)),
        (lambda: K.dot(X, X.T), X @ X.T),
        (lambda: K.concatenate([X, X]), np.concatenate([X, X], axis=-1)),
        (lambda: K.reshape(X, (3, 2)), X.reshape(3, 2)),
        (lambda: K.flatten(X), X.ravel()),
        (lambda: K.batch_flatten(X[:, :, None]), X),
        (lambda: K.expand_dims(X), X[..., None]),
        (lambda: K.squeeze(X[:, None], 1), X),
        (lambda: K.transpose(X), X.T),
        (lambda: K.permute_dimensions(X[None], (2, 0, 1)), np.transpose(X[None], (2, 0, 1))),
        (lambda: K.argmax(X), X.argmax(axis=-1)),
        (lambda: K.gather(X, [1, 0]), X[[1, 0]]),
        (lambda: K.repeat_elements(X, 2, axis=0), np.repeat(X, 2, axis=0)),
        (lambda: K.switch(X > 0, X, np.zeros_like(X)), np.where(X > 0, X, 0)),
        (lambda: K.l2_normalize(X, axis=1), X / np.linalg.norm(X, axis=1, keepdims=True)),
        (lambda: K.cast(X, "int32"), X.astype(np.int32)),
        (lambda: K.ones((2, 2)), np.ones((2, 2))),
        (lambda: K.zeros((3,)), np.zeros(3)),
        (lambda: K.eye(2), np.eye(2)),
        (lambda: K.cumsum(X), np.cumsum(X, axis=0)),
        (lambda: K.softmax(X), np.exp(X) / np.exp(X).sum(-1, keepdims=True)),
    ],
)
def test_tensor_functions_follow_keras_2(call, expected):
    result = call()
    assert isinstance(result, torch.Tensor)
    np.testing.assert_allclose(K.get_value(result), expected, rtol=1e-6, atol=1e-6)


def test_batch_dot_matches_einsum():
    x = np.random.default_rng(0).normal(size=(4, 3, 5)).astype(np.float32)
    y = np.random.default_rng(1).normal(size=(4, 5, 2)).astype(np.float32)
    np.testing.assert_allclose(K.batch_dot(x, y).numpy(), np.einsum("bik,bkj->bij", x, y), rtol=1e-5)
    np.testing.assert_allclose(
        K.batch_dot(x, x, axes=(2, 2)).numpy(), np.einsum("bik,bjk->bij", x, x), rtol=1e-5
    )
    # Two batches of vectors: one value per sample, kept as a column.
    np.testing.assert_allclose(
        K.batch_dot(x[:, 0], x[:, 1], axes=1).numpy(), np.sum(x[:, 0] * x[:, 1], 1, keepdims=True),
        rtol=1e-5,
    )


def test_shapes():
    assert K.int_shape(X) == (2, 3)
    assert K.int_shape(torch.zeros(4, 1)) == (4, 1)
    assert K.shape(torch.zeros(4, 1))[0] == 4
    assert K.ndim(X) == 2
    assert K.count_params(torch.zeros(3, 4)) == 12
    assert K.dtype(torch.zeros(1, dtype=torch.float16)) == "float16"


def test_variable_constant_get_set_value():
    v = K.variable(np.array([1.0, 2.0]))  # float64 in, floatx out
    assert isinstance(v, torch.Tensor) and v.dtype == torch.float32
    assert K.variable([1, 2]).dtype == torch.int32
    K.set_value(v, [5.0, 6.0])
    assert isinstance(K.get_value(v), np.ndarray)
    np.testing.assert_array_equal(K.eval(v), [5.0, 6.0])
    weight = torch.nn.Parameter(torch.zeros(2))
    K.batch_set_value([(weight, np.array([1.0, 1.0]))])
    np.testing.assert_array_equal(K.batch_get_value([weight])[0], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"shape \(3,\) but the tensor has shape \(2,\)"):
        K.set_value(v, [1.0, 2.0, 3.0])
    c = K.constant(2, shape=(2, 2))
    assert c.dtype == torch.float32 and c.tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_random_and_learning_phase():
    a = K.random_normal((3,), seed=1)
    torch.testing.assert_close(a, K.random_normal((3,), seed=1))
    u = K.random_uniform((100,), minval=2.0, maxval=3.0)
    assert u.min() >= 2.0 and u.max() < 3.0
    assert K.learning_phase() == 0
