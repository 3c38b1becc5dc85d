"""Float8 training (`quantize("float8")`): delayed scaling as Keras 3 does it, checked against
runs of Keras 3.15.1 (tests/fixtures/float8/make_float8_fixtures.py), and the optimizer's
`overwrite_with_gradient` that it rests on."""

import copy
import pathlib
import pickle
import zipfile

import h5py
import numpy as np
import pytest
import torch

import lamina
from lamina import layers

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "float8"
REFERENCE = np.load(FIXTURES / "reference.npz")
FLOAT8_NAMES = ("inputs_scale", "inputs_amax_history", "kernel_scale", "kernel_amax_history",
                "outputs_grad_scale", "outputs_grad_amax_history")


def _heads_model():
    inputs = lamina.Input((5, 8), name="tokens")
    x = layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4), bias_axes="de",
                           name="heads")(inputs)
    x = layers.Reshape((5, 8), name="merge")(x)
    x = layers.Dense(6, activation="relu", name="hidden")(x)
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    outputs = layers.Dense(3, name="out")(x)
    return lamina.Model(inputs, outputs, name="heads_model")


def _policy_model():
    policy = lamina.dtype_policies.QuantizedFloat8DTypePolicy(
        mode="float8", source_name="float32", amax_history_length=3)
    return lamina.Sequential([
        lamina.Input((6,)),
        layers.Dense(5, activation="tanh", dtype=policy, name="first"),
        layers.Dense(2, dtype=policy, name="second"),
    ], name="policy_model")


def _set_start(model, case):
    for variable in model.weights:
        variable.assign(REFERENCE[f"{case}/start/{variable.path}"])


def _check_end(model, case, ordered=True):
    """The variables equal Keras's after training (a loaded model builds its layers from the
    float8 policy, which creates the scales first, as Keras does: matched by layer/name)."""
    expected = {"/".join(k.split("/")[-2:]): REFERENCE[k]
                for k in REFERENCE if k.startswith(f"{case}/end/")}
    names = ["/".join(v.path.split("/")[-2:]) for v in model.weights]
    if ordered:
        assert names == list(expected)  # the same variables, in Keras's order
    assert sorted(names) == sorted(expected)
    for name, variable in zip(names, model.weights):
        np.testing.assert_allclose(variable.numpy(), expected[name], rtol=1e-5, atol=1e-6,
                                   err_msg=name)


def test_quantize_float8_then_train_matches_keras():
    model = _heads_model()
    _set_start(model, "heads")
    model.quantize("float8")
    hidden = model.get_layer("hidden")
    assert hidden.dtype_policy.name == "float8_from_float32"
    assert all(getattr(hidden, name).overwrite_with_gradient for name in FLOAT8_NAMES)
    assert not hidden.kernel.overwrite_with_gradient
    assert len(model.trainable_weights) == int(REFERENCE["heads/trainable_count"])
    model.compile(optimizer=lamina.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    x, y = REFERENCE["heads/x"], REFERENCE["heads/y"]
    losses = [model.train_on_batch(x, y) for _ in range(3)]
    np.testing.assert_allclose(losses, REFERENCE["heads/losses"], rtol=1e-5)
    _check_end(model, "heads")
    np.testing.assert_allclose(model.predict(x, verbose=0), REFERENCE["heads/predict"],
                               rtol=1e-5, atol=1e-6)
    # Overwritten variables get no momentum slot, as in Keras.
    assert [v.path for v in model.optimizer.variables] == \
        list(REFERENCE["heads/optimizer_variables"])


def test_float8_policy_with_gradient_accumulation_matches_keras():
    model = _policy_model()
    _set_start(model, "policy")
    model.compile(optimizer=lamina.optimizers.Adam(0.01, gradient_accumulation_steps=2),
                  loss="mse")
    history = model.fit(REFERENCE["policy/x"], REFERENCE["policy/y"], batch_size=4, epochs=1,
                        shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], REFERENCE["policy/loss"], rtol=1e-5)
    _check_end(model, "policy")
    assert [v.path for v in model.optimizer.variables] == \
        list(REFERENCE["policy/optimizer_variables"])


def test_keras_float8_file_loads_with_its_optimizer_state():
    model = lamina.saving.load_model(FIXTURES / "heads.keras")
    assert model.get_layer("heads").quantization_mode == "float8"
    _check_end(model, "heads", ordered=False)
    np.testing.assert_allclose(model.predict(REFERENCE["heads/x"], verbose=0),
                               REFERENCE["heads/predict"], rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations) == 3
    assert len(model.optimizer.variables) == len(REFERENCE["heads/optimizer_variables"])


def _weight_datasets(path):
    with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as handle:
        with h5py.File(handle, "r") as f:
            found = []
            f.visititems(lambda name, obj: found.append((name, obj.shape))
                         if isinstance(obj, h5py.Dataset) else None)
            return sorted(found)


def test_saved_float8_file_has_keras_layout_and_round_trips(tmp_path):
    model = lamina.saving.load_model(FIXTURES / "heads.keras")
    model.save(tmp_path / "again.keras")
    assert _weight_datasets(tmp_path / "again.keras") == _weight_datasets(FIXTURES / "heads.keras")
    again = lamina.saving.load_model(tmp_path / "again.keras")
    _check_end(again, "heads", ordered=False)
    # Training goes on from the saved scales and histories.
    x, y = REFERENCE["heads/x"], REFERENCE["heads/y"]
    assert np.isfinite(again.train_on_batch(x, y))
    # (Keras's roll: the previous newest entry moves to the back)
    assert again.get_layer("out").inputs_amax_history.numpy()[-1] == pytest.approx(
        model.get_layer("out").inputs_amax_history.numpy()[0])


def test_inference_leaves_the_scales_alone():
    model = _heads_model()
    model.quantize("float8")
    x = torch.as_tensor(REFERENCE["heads/x"])
    before = [v.numpy() for v in model.weights]
    loss = model(x).square().mean()  # training not set: Keras computes no new scales
    loss.backward()
    assert model.get_layer("out").inputs_scale.grad is None
    model.predict(x, verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    model.evaluate(x, REFERENCE["heads/y"], verbose=0)
    for old, variable in zip(before, model.weights):
        np.testing.assert_array_equal(old, variable.numpy())


def test_float8_gradient_of_the_scale_is_its_next_value():
    layer = layers.Dense(2, kernel_initializer="ones")
    layer.build((None, 3))
    layer.quantize("float8")
    x = torch.tensor([[1.0, -7.0, 2.0]])
    with torch.no_grad():
        layer.inputs_amax_history[0] = 14.0
    layer(x, training=True).sum().backward()
    # scale = amax / 448 for the largest |x| in the history; max|x| = 7 enters at the front
    # and the previous front goes to the back (Keras's roll).
    assert layer.inputs_scale.grad.item() == pytest.approx(14.0 / 448.0)
    history = layer.inputs_amax_history.grad.numpy()
    assert (history[0], history[-1], history[1:-1].any()) == (7.0, 14.0, False)
    assert layer.kernel.grad is not None


# ------------------------------------------------------------------ the Variable attributes
def test_variable_aggregation_and_synchronization_as_keras():
    v = lamina.Variable(1.0)
    assert (v.aggregation, v.synchronization, v.overwrite_with_gradient) == \
        ("none", "auto", False)
    v = lamina.Variable(1.0, aggregation=None, synchronization=None)
    assert (v.aggregation, v.synchronization) == ("none", "none")
    v = lamina.Variable(1.0, aggregation="sum", synchronization="on_read")
    assert (v.aggregation, v.synchronization) == ("sum", "on_read")
    assert (copy.deepcopy(v).aggregation, pickle.loads(pickle.dumps(v)).synchronization) == \
        ("sum", "on_read")
    with pytest.raises(ValueError, match="aggregation"):
        lamina.Variable(1.0, aggregation="max")
    with pytest.raises(ValueError, match="synchronization"):
        lamina.Variable(1.0, synchronization="always")
    with pytest.raises(TypeError, match="must be a boolean"):
        v.overwrite_with_gradient = 1
    layer = layers.Layer()
    w = layer.add_weight(shape=(2,), aggregation="mean", overwrite_with_gradient=True)
    assert (w.aggregation, w.overwrite_with_gradient) == ("mean", True)
    assert copy.deepcopy(w).overwrite_with_gradient


def test_optimizer_overwrites_flagged_variables_with_their_gradients():
    a = lamina.Variable(np.ones(2, "float32"))
    b = lamina.Variable(np.ones(2, "float32"))
    optimizer = lamina.optimizers.Adam(0.1, global_clipnorm=0.001, weight_decay=0.5)
    optimizer.build([a, b])
    b.overwrite_with_gradient = True  # (set after build: the optimizer sees it)
    optimizer.apply([torch.tensor([1.0, 2.0]), torch.tensor([5.0, -3.0])], [a, b])
    np.testing.assert_array_equal(b.numpy(), [5.0, -3.0])  # no clipping, decay or rate
    assert (a.numpy() < 1.0).all()
    assert int(optimizer.iterations) == 1
