"""The Loss API around the numbers: reductions, configs, get/serialize, gradients, errors."""

import json

import numpy as np
import pytest
import torch

from lamina import losses

ALL_CLASSES = [
    losses.MeanSquaredError, losses.MeanAbsoluteError, losses.MeanAbsolutePercentageError,
    losses.MeanSquaredLogarithmicError, losses.Huber, losses.LogCosh, losses.CosineSimilarity,
    losses.KLDivergence, losses.Poisson, losses.Hinge, losses.SquaredHinge,
    losses.CategoricalHinge, losses.BinaryCrossentropy, losses.BinaryFocalCrossentropy,
    losses.CategoricalCrossentropy, losses.CategoricalFocalCrossentropy,
    losses.SparseCategoricalCrossentropy,
]


def _targets_for(cls, n=5, c=3):
    generator = torch.Generator().manual_seed(1)
    if cls is losses.SparseCategoricalCrossentropy:
        return torch.randint(0, c, (n,), generator=generator)
    if cls in (losses.CategoricalCrossentropy, losses.CategoricalFocalCrossentropy,
               losses.CategoricalHinge, losses.KLDivergence):
        labels = torch.randint(0, c, (n,), generator=generator)
        return torch.nn.functional.one_hot(labels, c).float()
    return torch.randint(0, 2, (n, c), generator=generator).float()


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_gradient_flows_and_matches_finite_differences(cls):
    y_true = _targets_for(cls).double()
    logits = torch.randn(5, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    logits.requires_grad_(True)
    loss = cls(dtype="float64")

    def value(x):
        return loss(y_true, torch.softmax(x, dim=-1))  # keeps predictions in (0, 1)

    value(logits).backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()
    assert logits.grad.abs().sum() > 0
    torch.autograd.gradcheck(value, (logits.detach().requires_grad_(True),), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    loss = cls(reduction="sum", name="custom_name")
    config = loss.get_config()
    json.dumps(config)
    rebuilt = cls.from_config(config)
    assert rebuilt.get_config() == config
    assert rebuilt.name == "custom_name" and rebuilt.reduction == "sum"
    again = losses.deserialize(losses.serialize(loss))
    assert type(again) is cls and again.get_config() == config


def test_config_keeps_constructor_arguments():
    config = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1).get_config()
    assert config == {"name": "binary_crossentropy", "reduction": "sum_over_batch_size",
                      "from_logits": True, "label_smoothing": 0.1, "axis": -1}
    assert losses.Huber(delta=2.5).get_config()["delta"] == 2.5  # Keras forgets it; we don't
    sparse = losses.SparseCategoricalCrossentropy(ignore_class=0)
    assert losses.SparseCategoricalCrossentropy.from_config(sparse.get_config()).ignore_class == 0


def test_default_names_are_keras_names():
    assert losses.MeanSquaredError().name == "mean_squared_error"
    assert losses.Huber().name == "huber_loss"
    assert losses.BinaryCrossentropy().name == "binary_crossentropy"
    assert losses.SparseCategoricalCrossentropy().name == "sparse_categorical_crossentropy"


def test_get_returns_functions_for_function_names_and_instances_for_classes():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MSE") is losses.mean_squared_error
    assert losses.get("mean_absolute_error") is losses.mean_absolute_error
    assert losses.get("bce") is losses.binary_crossentropy
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("logcosh") is losses.log_cosh
    assert isinstance(losses.get("MeanSquaredError"), losses.MeanSquaredError)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    instance = losses.Huber()
    assert losses.get(instance) is instance
    assert losses.get(None) is None
    config = {"class_name": "Huber", "config": {"delta": 3.0}}
    assert losses.get(config).get_config()["delta"] == 3.0


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown loss: 'msq'.*mean_squared_error"):
        losses.get("msq")


def test_module_aliases():
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.mae is losses.mean_absolute_error


def test_invalid_reduction_is_rejected():
    with pytest.raises(ValueError, match=r"Invalid reduction='average'.*sum_over_batch_size"):
        losses.MeanSquaredError(reduction="average")


def test_numpy_and_list_inputs():
    value = losses.MeanSquaredError()([1.0, 0.0], np.array([0.5, 0.5]))
    assert isinstance(value, torch.Tensor)
    np.testing.assert_allclose(value.item(), 0.25)


def test_half_precision_predictions_are_scored_in_float32():
    y_pred = torch.tensor([[0.25, 0.75]], dtype=torch.float16)
    value = losses.CategoricalCrossentropy()(torch.tensor([[0.0, 1.0]]), y_pred)
    assert value.dtype == torch.float32
    np.testing.assert_allclose(value.item(), -np.log(0.75), rtol=1e-6)


def test_sum_over_batch_size_divides_by_count_not_weight_sum():
    y_true, y_pred = torch.zeros(4, 1), torch.tensor([[1.0], [2.0], [3.0], [4.0]])
    weights = torch.tensor([1.0, 0.0, 0.0, 1.0])
    per_sample = y_pred.squeeze(-1) ** 2  # MSE of one column
    expected_count = (per_sample * weights).sum() / 4
    expected_weights = (per_sample * weights).sum() / weights.sum()
    by_count = losses.MeanSquaredError()(y_true, y_pred, weights)
    assert by_count == pytest.approx(expected_count.item())
    mean_weighted = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert mean_weighted(y_true, y_pred, weights) == pytest.approx(expected_weights.item())
    assert mean_weighted(y_true, y_pred, torch.zeros(4)).item() == 0.0  # no 0/0


def test_per_sample_weights_on_per_timestep_losses():
    """(N,) weights on (N, T) losses weight whole sequences (Keras would fail to broadcast)."""
    y_true = torch.zeros(2, 3, 1)
    y_pred = torch.tensor([[[1.0], [2.0], [3.0]], [[1.0], [1.0], [1.0]]])
    value = losses.MeanSquaredError()(y_true, y_pred, sample_weight=torch.tensor([1.0, 3.0]))
    assert value.item() == pytest.approx((1 + 4 + 9 + 3 * 3) / 6)


def test_mask_on_predictions_averages_over_valid_entries():
    y_true = torch.zeros(2, 3)
    y_pred = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y_pred._keras_mask = torch.tensor([[True, True, False], [True, False, False]])
    elementwise = losses.LossFunctionWrapper(lambda t, p: (p - t) ** 2)
    assert elementwise(y_true, y_pred).item() == pytest.approx((1 + 4 + 16) / 3)


def test_ignore_class_averages_over_kept_labels():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    per_sample = torch.nn.functional.cross_entropy(logits[:2], torch.tensor([0, 0]),
                                                   reduction="none")
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    value = loss(torch.tensor([0, 0, -1]), logits)
    assert value.item() == pytest.approx(per_sample.mean().item(), rel=1e-6)


def test_probability_clipping_caps_a_confident_mistake_at_minus_log_epsilon():
    value = losses.BinaryCrossentropy()(torch.tensor([[1.0]]), torch.tensor([[0.0]]))
    assert value.item() == pytest.approx(-np.log(1e-7), rel=1e-3)  # 16.118, not torch's 100


def test_custom_loss_subclass():
    class Cubed(losses.Loss):
        def call(self, y_true, y_pred):
            return ((y_pred - y_true) ** 3).mean(dim=-1)

    loss = Cubed()
    assert loss.name == "cubed"
    assert loss(torch.zeros(2, 1), torch.full((2, 1), 2.0)).item() == 8.0


def test_loss_function_wrapper_round_trip_by_function_name():
    wrapper = losses.LossFunctionWrapper(losses.huber, name="h", delta=0.5)
    config = wrapper.get_config()
    assert config["fn"] == {"module": "builtins", "class_name": "function", "config": "huber",
                            "registered_name": "function"}  # (as Keras 3 writes a function)
    assert config["delta"] == 0.5
    rebuilt = losses.LossFunctionWrapper.from_config(config)
    assert rebuilt.fn is losses.huber and rebuilt.name == "h"
    y_true, y_pred = torch.zeros(2, 2), torch.ones(2, 2)
    assert rebuilt(y_true, y_pred).item() == wrapper(y_true, y_pred).item()


def test_wrapper_rejects_non_callables():
    with pytest.raises(TypeError, match="expects a callable"):
        losses.LossFunctionWrapper("mse")


def test_shape_errors_name_the_fix():
    with pytest.raises(ValueError, match="For integer class labels use sparse_categorical"):
        losses.categorical_crossentropy(torch.tensor([[1.0], [0.0]]), torch.rand(2, 3))
    with pytest.raises(ValueError, match="For one-hot labels use categorical_crossentropy"):
        losses.sparse_categorical_crossentropy(torch.eye(3)[:2, :2].repeat(1, 1),
                                               torch.rand(2, 3))


def test_categorical_crossentropy_on_one_unit_warns():
    with pytest.warns(UserWarning, match="always 0"):
        losses.categorical_crossentropy(torch.ones(2, 1), torch.rand(2, 1))


def test_resolve_compile_loss_by_shapes():
    resolve = losses.resolve_compile_loss
    assert resolve("crossentropy", (8, 1), (None, 1)).fn is losses.binary_crossentropy
    assert resolve("ce", (8,), (None, 5)).fn is losses.sparse_categorical_crossentropy
    assert resolve("ce", (8, 1), (None, 5)).fn is losses.sparse_categorical_crossentropy
    assert resolve("crossentropy", (8, 5), (None, 5)).fn is losses.categorical_crossentropy
    mse = resolve("mse", (8, 1), (None, 1))
    assert isinstance(mse, losses.LossFunctionWrapper) and mse.name == "mse"
    assert resolve(losses.mean_absolute_error, (8,), (None, 1)).name == "mean_absolute_error"
    huber = losses.Huber()
    assert resolve(huber, (8,), (None, 1)) is huber
    assert resolve(None, (8,), (None, 1)) is None


def test_float64_loss_keeps_float64_targets_exact():
    y_true = np.array([[1.0 + 1e-12]])
    value = losses.MeanAbsoluteError(dtype="float64")(y_true, torch.ones(1, 1, dtype=torch.float64))
    assert value.dtype == torch.float64 and value.item() == pytest.approx(1e-12, rel=1e-3)


def test_misspelt_function_keyword_fails_at_construction():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'from_logit'.*'from_logits'"):
        losses.LossFunctionWrapper(losses.binary_crossentropy, from_logit=True)


def test_keras2_reduction_auto_is_accepted_with_a_warning():
    with pytest.warns(DeprecationWarning, match="sum_over_batch_size"):
        loss = losses.MeanSquaredError(reduction="auto")
    assert loss.reduction == "sum_over_batch_size"


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("axis", [-1, 1])
def test_sparse_crossentropy_of_an_image_output_has_gradients(from_logits, axis):
    """A segmentation model's (batch, h, w, classes) output: torch's N-D loss kernel failed in
    backward on the class axis moved to 1 ("grad_input must be contiguous", CPU). Values and
    gradients equal the per-pixel formula."""
    rng = np.random.RandomState(0)
    scores = rng.rand(2, 3, 4, 5).astype("float32")
    if axis == 1:
        scores = np.moveaxis(scores, -1, 1).copy()
    labels = rng.randint(0, 5, size=(2, 3, 4))
    output = torch.tensor(scores if from_logits else scores / scores.sum(axis, keepdims=True),
                          requires_grad=True)
    loss = losses.sparse_categorical_crossentropy(labels, output, from_logits=from_logits,
                                                  axis=axis)
    loss.sum().backward()
    probabilities = torch.softmax(output, axis) if from_logits else output
    expected = -torch.log(probabilities.movedim(axis, -1)).gather(
        -1, torch.as_tensor(labels)[..., None])[..., 0]
    torch.testing.assert_close(loss, expected.detach(), rtol=1e-5, atol=1e-6)
    reference = output.detach().clone().requires_grad_(True)
    reference_probabilities = torch.softmax(reference, axis) if from_logits else \
        reference / reference.sum(axis, keepdim=True)  # (Keras renormalizes probabilities)
    (-torch.log(reference_probabilities.movedim(axis, -1)).gather(
        -1, torch.as_tensor(labels)[..., None])).sum().backward()
    torch.testing.assert_close(output.grad, reference.grad, rtol=1e-5, atol=1e-6)
