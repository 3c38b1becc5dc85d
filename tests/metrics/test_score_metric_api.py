"""API of the F-score, IoU, rate-at-constraint, R2, correlation and MeanTensor metrics: no host
syncs, state on the data's device, configs, names for `get`, argument errors, and formulas."""

import json

import numpy as np
import pytest
import torch

import lamina
from lamina import metrics
from lamina.testing import metric_checks

MULTI_LABEL = (torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]]),
               torch.tensor([[0.9, 0.2, 0.6], [0.3, 0.7, 0.1], [0.4, 0.8, 0.5], [0.2, 0.1, 0.3]]))
SPARSE = (torch.tensor([0, 2, 1, 1]), torch.tensor([0.0, 2.0, 2.0, 1.0]))
ONE_HOT = (torch.eye(3)[[0, 2, 1, 1]], MULTI_LABEL[1])
BINARY = (torch.tensor([1.0, 0.0, 1.0, 1.0]), torch.tensor([0.8, 0.6, 0.3, 0.9]))
REGRESSION = (torch.tensor([[1.0, 2.0], [2.0, 0.5], [3.0, 1.0], [0.5, 0.0]]),
              torch.tensor([[1.2, 1.5], [1.8, 0.7], [2.5, 1.1], [0.4, 0.3]]))
CASES = [
    (metrics.F1Score, {}, MULTI_LABEL),
    (metrics.F1Score, {"average": "weighted", "threshold": 0.5}, MULTI_LABEL),
    (metrics.FBetaScore, {"beta": 2.0, "average": "micro"}, MULTI_LABEL),
    (metrics.R2Score, {"num_regressors": 1}, REGRESSION),
    (metrics.R2Score, {"class_aggregation": None}, REGRESSION),
    (metrics.MeanIoU, {"num_classes": 3, "dtype": "float32"}, SPARSE),
    (metrics.IoU, {"num_classes": 3, "target_class_ids": [1], "ignore_class": 0,
                   "dtype": "float32"}, SPARSE),
    (metrics.BinaryIoU, {"threshold": 0.4, "dtype": "float32"}, BINARY),
    (metrics.OneHotIoU, {"num_classes": 3, "target_class_ids": [0, 2], "dtype": "float32"},
     ONE_HOT),
    (metrics.OneHotMeanIoU, {"num_classes": 3, "dtype": "float32"}, ONE_HOT),
    (metrics.PrecisionAtRecall, {"recall": 0.5}, BINARY),
    (metrics.RecallAtPrecision, {"precision": 0.7, "num_thresholds": 11}, BINARY),
    (metrics.SensitivityAtSpecificity, {"specificity": 0.5, "class_id": 1}, MULTI_LABEL),
    (metrics.SpecificityAtSensitivity, {"sensitivity": 0.5}, BINARY),
    (metrics.PearsonCorrelation, {}, REGRESSION),
    (metrics.ConcordanceCorrelation, {"axis": -1}, REGRESSION),
]
WEIGHTS = torch.tensor([1.0, 0.5, 0.0, 2.0])


def _id(case):
    return f"{case[0].__name__}{case[1] or ''}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_update_state_and_result_never_sync_with_the_host(case):
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
    cls, kwargs, (y_true, y_pred) = case
    metric = cls(name="custom", **kwargs)
    config = metric.get_config()
    json.dumps(config)
    assert config["name"] == "custom"
    rebuilt = cls.from_config(config)
    assert rebuilt.get_config() == config
    again = metrics.deserialize(metrics.serialize(metric))
    assert type(again) is cls and again.get_config() == config
    metric.update_state(y_true, y_pred)
    again.update_state(y_true, y_pred)
    torch.testing.assert_close(again.result(), metric.result())


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_reset_state_zeroes_everything(case):
    cls, kwargs, (y_true, y_pred) = case
    metric = cls(**kwargs)
    metric.update_state(y_true, y_pred)
    first = metric.result()
    metric.update_state(y_true, 1 - y_pred if y_pred.max() <= 1 else y_pred)
    metric.reset_state()
    assert all(torch.count_nonzero(v) == 0 for v in metric.variables)
    metric.update_state(y_true, y_pred)
    torch.testing.assert_close(metric.result(), first)


@pytest.mark.parametrize("name, cls", [
    ("f1_score", metrics.F1Score), ("F1Score", metrics.F1Score),
    ("fbeta_score", metrics.FBetaScore), ("r2_score", metrics.R2Score),
    ("R2Score", metrics.R2Score), ("pearson_correlation", metrics.PearsonCorrelation),
    ("concordance_correlation", metrics.ConcordanceCorrelation),
    ("mean_tensor", metrics.MeanTensor),
])
def test_get_resolves_names_like_keras(name, cls):
    assert type(metrics.get(name)) is cls


def test_get_resolves_configs_of_metrics_with_required_arguments():
    iou = metrics.get({"class_name": "MeanIoU", "config": {"num_classes": 4}})
    assert isinstance(iou, metrics.MeanIoU) and iou.num_classes == 4
    at_recall = metrics.get({"class_name": "PrecisionAtRecall", "config": {"recall": 0.3}})
    assert at_recall.recall == 0.3
    assert type(metrics.get("binary_io_u")) is metrics.BinaryIoU  # Keras's snake_case name


def test_default_names_follow_keras():
    assert metrics.F1Score().name == "f1_score"
    assert metrics.FBetaScore().name == "fbeta_score"
    assert metrics.R2Score().name == "r2_score"
    assert metrics.MeanIoU(2).name == "mean_io_u"
    assert metrics.BinaryIoU().name == "binary_io_u"
    assert metrics.OneHotMeanIoU(2).name == "one_hot_mean_io_u"
    assert metrics.PrecisionAtRecall(0.5).name == "precision_at_recall"
    assert metrics.MeanTensor().name == "mean_tensor"


def test_invalid_arguments_are_explained():
    with pytest.raises(ValueError, match=r"Invalid `average`.*average='mean'"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match=r"`beta` must be a number > 0. Received: beta=0"):
        metrics.FBetaScore(beta=0)
    with pytest.raises(ValueError, match=r"0 < threshold <= 1. Received: threshold=1.5"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match=r"2D inputs.*y_pred.shape=\(4,\)"):
        metrics.F1Score().update_state(torch.ones(4), torch.ones(4))
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match="num_regressors"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match=r"2D inputs.*y_true.shape=\(2, 2, 2\)"):
        metrics.R2Score().update_state(torch.ones(2, 2, 2), torch.ones(2, 2, 2))
    with pytest.raises(ValueError, match=r"Target class id 3 is out of range, which is \[0, 3\)"):
        metrics.IoU(num_classes=3, target_class_ids=[0, 3])
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        metrics.MeanIoU(num_classes=0)
    with pytest.raises(ValueError, match=r"`recall` must be in the range \[0, 1\]"):
        metrics.PrecisionAtRecall(recall=1.5)
    with pytest.raises(ValueError, match=r"`specificity` must be in the range"):
        metrics.SensitivityAtSpecificity(-0.1)
    with pytest.raises(ValueError, match="num_thresholds` must be an integer > 0"):
        metrics.RecallAtPrecision(0.5, num_thresholds=0)


def test_iou_warns_that_float_weights_are_truncated_by_the_integer_state():
    metric = metrics.MeanIoU(num_classes=3)
    assert metric.dtype == "int32"
    with pytest.warns(UserWarning, match=r"truncated to integers.*dtype='float32'"):
        metric.update_state(SPARSE[0], SPARSE[1], sample_weight=torch.tensor([1.0, 0.5, 1, 1]))
    # The 0.5 became 0. IoU: class 0 -> 1, class 1 -> 1/2, class 2 (only predicted) -> 0.
    assert metric.total_cm.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]
    assert metric.result().item() == pytest.approx((1 + 0.5 + 0) / 3, abs=1e-6)


def test_iou_by_hand():
    # true:  0 0 1 1 2 ; predicted: 0 1 1 1 0
    metric = metrics.IoU(num_classes=3, target_class_ids=[0, 1])
    metric.update_state([0, 0, 1, 1, 2], [0, 1, 1, 1, 0])
    # class 0: tp 1, fp 1, fn 1 -> 1/3; class 1: tp 2, fp 1, fn 0 -> 2/3
    assert metric.result().item() == pytest.approx(0.5, abs=1e-6)


def test_f1_score_by_hand():
    y_true = [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
    y_pred = [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]
    metric = metrics.F1Score(threshold=0.5)
    metric.update_state(y_true, y_pred)
    # Predicted positive (> 0.5): [0, 1, 1], [0, 1, 1], [1, 1, 0]. Per class, counted by hand:
    precision = np.array([1 / 1, 2 / 3, 1 / 2])
    recall = np.array([1 / 3, 2 / 2, 1 / 1])
    np.testing.assert_allclose(metric.result().numpy(),
                               2 * precision * recall / (precision + recall), rtol=1e-5)


def test_r2_score_matches_the_formula_over_all_batches():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(20, 1)), rng.normal(size=(20, 1))
    metric = metrics.R2Score(dtype="float64")
    metric.update_state(y_true[:7], y_pred[:7])
    metric.update_state(y_true[7:], y_pred[7:])
    expected = 1 - ((y_true - y_pred) ** 2).sum() / ((y_true - y_true.mean()) ** 2).sum()
    assert metric.result().item() == pytest.approx(expected, rel=1e-10)


def test_pearson_correlation_matches_numpy():
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.normal(size=(3, 10)), rng.normal(size=(3, 10))
    values = metrics.pearson_correlation(torch.tensor(y_true), torch.tensor(y_pred))
    expected = [np.corrcoef(t, p)[0, 1] for t, p in zip(y_true, y_pred)]
    np.testing.assert_allclose(values.numpy(), expected, rtol=1e-6)


def test_mean_tensor_averages_element_wise():
    metric = metrics.MeanTensor()
    metric.update_state([1.0, 2.0])
    metric.update_state([3.0, 6.0])
    np.testing.assert_allclose(metric.result().numpy(), [2.0, 4.0])
    weighted = metrics.MeanTensor(shape=(2,))
    weighted.update_state([1.0, 2.0], sample_weight=[1.0, 0.0])
    weighted.update_state([3.0, 6.0], sample_weight=[3.0, 0.0])
    np.testing.assert_allclose(weighted.result().numpy(), [2.5, 0.0])  # no 0/0
    with pytest.raises(ValueError, match=r"same shape.*\(2,\). Received: \(3,\)"):
        weighted.update_state([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="does not have any value yet"):
        metrics.MeanTensor().result()


def test_new_metrics_in_a_compiled_model():
    inputs = lamina.Input((4,))
    model = lamina.Model(inputs, lamina.layers.Dense(3, activation="softmax")(inputs))
    model.compile("adam", "categorical_crossentropy",
                  metrics=[metrics.F1Score(average="macro"), metrics.OneHotMeanIoU(3),
                           "r2_score"])
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(16) % 3]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "f1_score", "one_hot_mean_io_u", "r2_score"}
    probabilities = model.predict(x, verbose=0)
    reference = metrics.OneHotMeanIoU(3)
    reference.update_state(y, probabilities)
    assert logs["one_hot_mean_io_u"] == pytest.approx(reference.result().item(), abs=1e-6)
