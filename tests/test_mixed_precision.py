import os

import numpy as np
import pytest
import torch

import lamina
from lamina import layers
from lamina.mixed_precision.loss_scale import DynamicLossScale


@pytest.fixture
def mixed_policy():
    yield lambda name: lamina.mixed_precision.set_global_policy(name)
    lamina.mixed_precision.set_global_policy(None)


@pytest.mark.parametrize("policy, compute", [("mixed_float16", torch.float16),
                                              ("mixed_bfloat16", torch.bfloat16)])
def test_mixed_policy_keeps_float32_weights_and_computes_in_half(mixed_policy, policy, compute):
    mixed_policy(policy)
    dense = layers.Dense(3)
    out = dense(torch.randn(2, 4))
    assert dense.kernel.dtype == torch.float32 and out.dtype == compute
    assert dense.dtype == "float32" and dense.compute_dtype == policy.replace("mixed_", "")
    assert dense.get_config()["dtype"]["config"]["name"] == policy
    assert layers.Dense.from_config(dense.get_config()).dtype_policy.name == policy
    exact = layers.Dense(3, dtype="float32")  # the Keras idiom for a float32 output layer
    assert exact(torch.randn(2, 4)).dtype == torch.float32


def test_mixed_float16_model_trains_with_loss_scaling(mixed_policy):
    mixed_policy("mixed_float16")
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input(shape=(4,)), layers.Dense(16, activation="relu"),
                               layers.Dense(1, dtype="float32")])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.rand(64, 4).astype("float32")
    history = model.fit(x, x.sum(axis=1, keepdims=True), epochs=5, verbose=0)
    # overflowing early steps halve the scale: a power of two <= 2**15
    scale = float(model.optimizer.dynamic_scale)
    assert scale <= 2.0 ** 15 and float(np.log2(scale)).is_integer()
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert history.history["loss"][-1] < history.history["loss"][0]


FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "mixed_float16",
                       "adam_after_one_step")


def test_compile_wraps_the_optimizer_of_a_mixed_float16_model_as_keras_does(mixed_policy):
    mixed_policy("mixed_float16")
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(2)])
    adam = lamina.optimizers.Adam(0.01)
    model.compile(adam, "mse")
    assert isinstance(model.optimizer, lamina.optimizers.LossScaleOptimizer)
    assert model.optimizer.inner_optimizer is adam and model.optimizer.name == "loss_scale_optimizer"
    assert model.get_compile_config()["optimizer"]["class_name"] == "Adam"  # as Keras saves it
    model.compile(adam, "mse", auto_scale_loss=False)
    assert model.optimizer is adam
    mixed_policy("mixed_bfloat16")  # (no loss scaling for bfloat16)
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(2)])
    model.compile(adam, "mse")
    assert model.optimizer is adam


def test_a_keras_mixed_float16_file_loads_its_optimizer_state_and_saves_it_back(
        mixed_policy, tmp_path):
    # Keras's file holds the loss scale's variables then Adam's (after one step), under
    # `optimizer/vars` and `optimizer/inner_optimizer/vars`.
    mixed_policy("mixed_float16")
    expected = np.load(FIXTURE + ".npz")
    paths = [key for key in expected.files if "/" in key]
    model = lamina.models.load_model(FIXTURE + ".keras")
    assert isinstance(model.optimizer, lamina.optimizers.LossScaleOptimizer)
    loaded = [v.numpy() for v in model.optimizer.variables]
    assert len(loaded) == len(paths) == 14
    for path, value in zip(paths, loaded):
        np.testing.assert_allclose(value, expected[path], rtol=1e-6, err_msg=path)
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["y"], rtol=1e-3)
    model.save(tmp_path / "again.keras")
    again = lamina.models.load_model(tmp_path / "again.keras")
    for path, value in zip(paths, again.optimizer.variables):
        np.testing.assert_allclose(value.numpy(), expected[path], rtol=1e-6, err_msg=path)


def test_dynamic_loss_scale_skips_overflow_and_grows():
    scale = DynamicLossScale(initial_scale=8.0, growth_steps=2)
    grads = [torch.tensor([8.0, 16.0])]
    assert scale.unscale(grads) and grads[0].tolist() == [1.0, 2.0]
    assert not scale.unscale([torch.tensor([float("inf")])]) and scale.scale == 4.0
    assert scale.unscale([torch.ones(1)]) and scale.unscale([torch.ones(1)]) and scale.scale == 8.0


def test_unknown_policy():
    with pytest.raises(ValueError, match="mixed_float16"):
        lamina.mixed_precision.set_global_policy("mixed_float8")


def test_predict_returns_float32_for_bfloat16_outputs(mixed_policy):
    # NumPy has no bfloat16: predict gives float32 (Keras on JAX gives ml_dtypes' bfloat16).
    mixed_policy("mixed_bfloat16")
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)])
    x = np.ones((2, 3), "float32")
    assert model.predict(x, verbose=0).dtype == np.float32
    assert model.predict_on_batch(x).dtype == np.float32
