"""The Metric API: state on the data's device, no host syncs, names, configs, get, compile."""

import json

import numpy as np
import pytest
import torch

from lamina import metrics
from lamina.utils import naming
from lamina.testing import metric_checks

# One constructor + one representative batch per built-in metric class.
BINARY = (torch.tensor([[1.0], [0.0], [1.0], [1.0]]), torch.tensor([[0.8], [0.6], [0.3], [0.9]]))
ONE_HOT = (torch.eye(3)[[0, 2, 1, 1]], torch.softmax(torch.arange(12.0).reshape(4, 3).sin(), -1))
SPARSE = (torch.tensor([0, 2, 1, 1]), ONE_HOT[1])
REGRESSION = (torch.rand(4, 2, generator=torch.Generator().manual_seed(0)) + 0.5,
              torch.rand(4, 2, generator=torch.Generator().manual_seed(1)) + 0.5)
CASES = [
    (metrics.Accuracy, {}, (SPARSE[0], torch.tensor([0.0, 1.0, 1.0, 2.0]))),
    (metrics.BinaryAccuracy, {"threshold": 0.7}, BINARY),
    (metrics.CategoricalAccuracy, {}, ONE_HOT),
    (metrics.SparseCategoricalAccuracy, {}, SPARSE),
    (metrics.TopKCategoricalAccuracy, {"k": 2}, ONE_HOT),
    (metrics.SparseTopKCategoricalAccuracy, {"k": 2}, SPARSE),
    (metrics.AUC, {"curve": "PR", "num_thresholds": 50}, BINARY),
    (metrics.AUC, {"thresholds": [0.2, 0.4]}, BINARY),
    (metrics.AUC, {"multi_label": True, "num_labels": 3}, ONE_HOT),
    (metrics.Precision, {"thresholds": [0.3, 0.6]}, BINARY),
    (metrics.Precision, {"top_k": 1, "class_id": 2}, ONE_HOT),
    (metrics.Recall, {}, BINARY),
    (metrics.TruePositives, {}, BINARY),
    (metrics.FalsePositives, {"thresholds": [0.0, 0.5, 1.0]}, BINARY),
    (metrics.TrueNegatives, {}, BINARY),
    (metrics.FalseNegatives, {}, BINARY),
    (metrics.MeanSquaredError, {}, REGRESSION),
    (metrics.MeanAbsoluteError, {}, REGRESSION),
    (metrics.RootMeanSquaredError, {}, REGRESSION),
    (metrics.MeanAbsolutePercentageError, {}, REGRESSION),
    (metrics.MeanSquaredLogarithmicError, {}, REGRESSION),
    (metrics.LogCoshError, {}, REGRESSION),
    (metrics.CosineSimilarity, {"axis": -1}, REGRESSION),
    (metrics.BinaryCrossentropy, {"from_logits": True}, BINARY),
    (metrics.CategoricalCrossentropy, {"label_smoothing": 0.1}, ONE_HOT),
    (metrics.SparseCategoricalCrossentropy, {"ignore_class": 0}, SPARSE),
    (metrics.KLDivergence, {}, ONE_HOT),
    (metrics.Poisson, {}, REGRESSION),
    (metrics.Hinge, {}, BINARY),
    (metrics.SquaredHinge, {}, BINARY),
    (metrics.CategoricalHinge, {}, ONE_HOT),
]
WEIGHTS = torch.tensor([1.0, 0.5, 0.0, 2.0])


def _id(case):
    return f"{case[0].__name__}{case[1] or ''}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_update_state_never_syncs_with_the_host(case):
    cls, kwargs, (y_true, y_pred) = case
    metric_checks.check_no_host_sync(cls(**kwargs), y_true, y_pred, WEIGHTS)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_state_follows_the_data_to_its_device(case):
    cls, kwargs, (y_true, y_pred) = case
    metric_checks.check_state_follows_the_data(cls(**kwargs), y_true, y_pred, WEIGHTS)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_state_on_cuda_gives_the_cpu_result(case):
    cls, kwargs, (y_true, y_pred) = case
    metric_checks.check_cuda_matches_cpu(lambda: cls(**kwargs), y_true, y_pred, WEIGHTS)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_config_round_trip(case):
    cls, kwargs, _ = case
    metric = cls(name="custom", **kwargs)
    config = metric.get_config()
    json.dumps(config)
    assert config["name"] == "custom" and config["dtype"] == "float32"
    rebuilt = cls.from_config(config)
    assert rebuilt.get_config() == config
    again = metrics.deserialize(metrics.serialize(metric))
    assert type(again) is cls and again.get_config() == config


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_reset_state_zeroes_everything(case):
    cls, kwargs, (y_true, y_pred) = case
    metric = cls(**kwargs)
    fresh = metric.result()
    metric.update_state(y_true, y_pred)
    metric.reset_state()
    assert all(torch.count_nonzero(v) == 0 for v in metric.variables)
    torch.testing.assert_close(metric.result(), fresh)


def test_updates_do_not_keep_the_autograd_graph():
    y_pred = torch.tensor([[0.2], [0.9]], requires_grad=True)
    metric = metrics.MeanSquaredError()
    metric.update_state(torch.ones(2, 1), y_pred * 2)
    assert all(not v.requires_grad and v.grad_fn is None for v in metric.variables)
    assert not metric.result().requires_grad


def test_default_names_follow_keras():
    naming.reset_names()
    assert metrics.AUC().name == "auc"
    assert metrics.AUC().name == "auc_1"
    assert metrics.Precision().name == "precision"
    assert metrics.Recall().name == "recall"
    assert metrics.TruePositives().name == "true_positives"
    assert metrics.BinaryAccuracy().name == "binary_accuracy"
    assert metrics.RootMeanSquaredError().name == "root_mean_squared_error"
    assert metrics.MeanMetricWrapper(metrics.mean_squared_error).name == "mean_metric_wrapper"
    assert metrics.Mean().name == "mean"


def test_get_resolves_names_like_keras():
    assert isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)
    assert isinstance(metrics.get("MSE"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("binary_accuracy"), metrics.BinaryAccuracy)
    assert isinstance(metrics.get("sparse_top_k_categorical_accuracy"),
                      metrics.SparseTopKCategoricalAccuracy)
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(metrics.get("auc"), metrics.AUC)
    assert isinstance(metrics.get("kl_divergence"), metrics.KLDivergence)
    assert isinstance(metrics.get("root_mean_squared_error"), metrics.RootMeanSquaredError)
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    auc = metrics.AUC()
    assert metrics.get(auc) is auc
    precision = metrics.get({"class_name": "Precision", "config": {"thresholds": 0.3}})
    assert precision.thresholds == [0.3]
    with pytest.raises(ValueError, match=r"Unknown metric: 'accuracyy'.*binary_accuracy"):
        metrics.get("accuracyy")


@pytest.mark.parametrize("identifier, y_shape, out_shape, cls", [
    ("accuracy", (8, 1), (None, 1), metrics.BinaryAccuracy),
    ("acc", (8,), (None, 1), metrics.BinaryAccuracy),
    ("accuracy", (8,), (None, 5), metrics.SparseCategoricalAccuracy),
    ("accuracy", (8, 1), (None, 5), metrics.SparseCategoricalAccuracy),
    ("accuracy", (8, 5), (None, 5), metrics.CategoricalAccuracy),
    ("mae", (8, 1), (None, 1), metrics.MeanAbsoluteError),
    ("AUC", (8, 1), (None, 1), metrics.AUC),
])
def test_compile_strings_resolve_by_shape_and_keep_the_given_name(identifier, y_shape, out_shape,
                                                                   cls):
    metric = metrics.resolve_compile_metric(identifier, y_shape, out_shape)
    assert type(metric) is cls and metric.name == identifier


def test_compile_wraps_functions_and_keeps_instances():
    wrapped = metrics.resolve_compile_metric(metrics.mean_squared_error, (8,), (None, 1))
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "mean_squared_error"
    precision = metrics.Precision(name="prec")
    assert metrics.resolve_compile_metric(precision, (8,), (None, 1)) is precision
    assert precision.name == "prec"


def test_mean_metric_wrapper_with_a_custom_function_and_weights():
    metric = metrics.MeanMetricWrapper(lambda t, p: (t - p).abs().sum(-1), name="l1")
    metric.update_state(torch.zeros(2, 2), torch.tensor([[1.0, 1.0], [3.0, 0.0]]),
                        sample_weight=torch.tensor([1.0, 3.0]))
    assert metric.result().item() == pytest.approx((2 * 1 + 3 * 3) / 4)


def test_mean_metric_wrapper_config_names_its_function():
    metric = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="ba", threshold=0.3)
    config = metric.get_config()
    assert config["fn"] == {"module": "builtins", "class_name": "function",
                            "config": "binary_accuracy", "registered_name": "function"}
    assert config["threshold"] == 0.3
    rebuilt = metrics.MeanMetricWrapper.from_config(config)
    assert rebuilt._fn is metrics.binary_accuracy
    loss_based = metrics.MeanMetricWrapper.from_config({"fn": "mse", "name": "m"})
    assert loss_based._fn is metrics.mean_squared_error


def test_custom_metric_in_the_keras_style():
    class BinaryTruePositives(metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = (y_true.bool() & y_pred.bool()).float()
            if sample_weight is not None:
                values = values * sample_weight
            self.true_positives.assign(self.true_positives + values.sum())

        def result(self):
            return self.true_positives + 0

    metric = BinaryTruePositives()
    metric.update_state(torch.tensor([1, 1, 0]), torch.tensor([1, 0, 1]))
    metric.update_state(torch.tensor([1, 1]), torch.tensor([1, 1]),
                        sample_weight=torch.tensor([2.0, 0.5]))
    assert metric.result().item() == 3.5
    assert [v.name for v in metric.variables] == ["tp"]
    metric.update_state(torch.tensor([1], device="meta"), torch.tensor([1], device="meta"))
    assert metric.variables[0].device.type == "meta"


def test_add_variable_before_super_init_is_explained():
    class Broken(metrics.Metric):
        def __init__(self):
            self.total = self.add_variable((), "zeros")

    with pytest.raises(RuntimeError, match=r"before super\(\).__init__\(\)"):
        Broken()


def test_add_variable_initializers_and_dtype():
    metric = metrics.Mean(dtype="float64")
    assert metric.variables[0].dtype == torch.float64
    assert metric.add_variable((2,), "ones").tolist() == [1.0, 1.0]
    assert metric.add_variable((2,), 3).tolist() == [3.0, 3.0]
    metric.update_state(np.array([1.0, 2.0]))
    assert metric.result().dtype == torch.float64


def test_mean_and_sum_weighting_as_keras():
    mean = metrics.Mean()
    mean.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    assert mean.result().item() == 2.0
    total = metrics.Sum()
    total.update_state([1.0, 3.0, 5.0, 7.0])
    assert total.result().item() == 16.0
    assert metrics.Mean().result().item() == 0.0  # no 0/0 before any update


def test_precision_and_recall_arguments_are_validated():
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match='Invalid AUC curve "ROCK"'):
        metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match="summation_method"):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="num_thresholds must be an integer > 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="only used with multi_label=True"):
        metrics.AUC(num_labels=3)
    with pytest.raises(ValueError, match="class_id is given"):
        metrics.Precision(class_id=1).update_state(torch.ones(3), torch.ones(3))


def test_auc_multi_label_builds_from_the_first_batch():
    auc = metrics.AUC(multi_label=True)
    assert auc.variables == []
    auc.update_state(ONE_HOT[0], ONE_HOT[1])
    assert tuple(auc.true_positives.shape) == (200, 3)
    with pytest.raises(ValueError, match="rank 2"):
        metrics.AUC(multi_label=True).update_state(torch.ones(4), torch.ones(4))


def test_perfect_and_inverted_rankings():
    y_true = torch.tensor([0.0, 0.0, 1.0, 1.0])
    auc = metrics.AUC()
    auc.update_state(y_true, torch.tensor([0.1, 0.2, 0.8, 0.9]))
    assert auc.result().item() == pytest.approx(1.0, abs=1e-6)
    auc.reset_state()
    auc.update_state(y_true, torch.tensor([0.9, 0.8, 0.2, 0.1]))
    assert auc.result().item() == pytest.approx(0.0, abs=1e-6)


def test_misspelt_function_keyword_fails_at_construction():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'treshold'.*'threshold'"):
        metrics.MeanMetricWrapper(metrics.binary_accuracy, treshold=0.3)


def test_keras2_reset_states_spelling():
    metric = metrics.Sum()
    metric.update_state([2.0])
    metric.reset_states()
    assert metric.result().item() == 0.0
