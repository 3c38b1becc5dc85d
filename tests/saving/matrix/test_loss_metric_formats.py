"""Every loss and metric, as an object and by every registered name, survives `.keras` (issue 4).

A model compiled with it is saved and loaded: the compile config must be unchanged and
`evaluate()` must give the same numbers. Legacy `.h5` files are checked for the same numbers
(their compile config spells short loss aliases in full, see test_model_kinds.py).
`test_every_*_has_a_case` fails when a loss or metric is added without a case here.
"""

import inspect

import numpy as np
import pytest

import lamina
from lamina import layers, losses, metrics
from lamina.registry import object_registry

# What each kind of target looks like (the model's output layer follows from it):
#   soft:   softmax over 3 classes, targets are smoothed one-hot rows (regression-like losses)
#   onehot: softmax over 3 classes, one-hot targets
#   sparse: softmax over 3 classes, integer class ids
#   binary: one sigmoid unit, 0/1 targets
TASK_OF_LOSS = {
    "MeanSquaredError": "soft", "MeanAbsoluteError": "soft", "MeanAbsolutePercentageError": "soft",
    "MeanSquaredLogarithmicError": "soft", "Huber": "soft", "LogCosh": "soft",
    "CosineSimilarity": "soft", "Poisson": "soft", "KLDivergence": "soft",
    "CategoricalCrossentropy": "onehot", "CategoricalFocalCrossentropy": "onehot",
    "CategoricalHinge": "onehot", "SparseCategoricalCrossentropy": "sparse",
    "BinaryCrossentropy": "binary", "BinaryFocalCrossentropy": "binary", "Hinge": "binary",
    "SquaredHinge": "binary",
    # functions
    "mean_squared_error": "soft", "mean_absolute_error": "soft",
    "mean_absolute_percentage_error": "soft", "mean_squared_logarithmic_error": "soft",
    "huber": "soft", "log_cosh": "soft", "cosine_similarity": "soft", "poisson": "soft",
    "kl_divergence": "soft", "categorical_crossentropy": "onehot",
    "categorical_focal_crossentropy": "onehot", "categorical_hinge": "onehot",
    "sparse_categorical_crossentropy": "sparse", "binary_crossentropy": "binary",
    "binary_focal_crossentropy": "binary", "hinge": "binary", "squared_hinge": "binary",
    "Dice": "soft", "dice": "soft", "Tversky": "soft", "tversky": "soft",
    "CategoricalGeneralizedCrossEntropy": "sparse",
    "categorical_generalized_cross_entropy": "sparse",
    "CTC": "sequence", "ctc": "sequence", "Circle": "sparse", "circle": "sparse",
}

# Loss objects with non-default arguments (each class at least once).
LOSS_OBJECTS = {
    "MeanSquaredError": lambda: losses.MeanSquaredError(reduction="sum"),
    "MeanAbsoluteError": lambda: losses.MeanAbsoluteError(name="l1"),
    "MeanAbsolutePercentageError": lambda: losses.MeanAbsolutePercentageError(),
    "MeanSquaredLogarithmicError": lambda: losses.MeanSquaredLogarithmicError(),
    "Huber": lambda: losses.Huber(delta=0.3),
    "LogCosh": lambda: losses.LogCosh(),
    "CosineSimilarity": lambda: losses.CosineSimilarity(axis=-1),
    "Poisson": lambda: losses.Poisson(),
    "KLDivergence": lambda: losses.KLDivergence(),
    "CategoricalCrossentropy": lambda: losses.CategoricalCrossentropy(label_smoothing=0.1),
    "CategoricalFocalCrossentropy": lambda: losses.CategoricalFocalCrossentropy(alpha=0.3,
                                                                                gamma=1.5),
    "CategoricalHinge": lambda: losses.CategoricalHinge(),
    "SparseCategoricalCrossentropy": lambda: losses.SparseCategoricalCrossentropy(
        ignore_class=2),
    "BinaryCrossentropy": lambda: losses.BinaryCrossentropy(label_smoothing=0.2),
    "BinaryFocalCrossentropy": lambda: losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, gamma=1.0),
    "Hinge": lambda: losses.Hinge(reduction="mean"),
    "SquaredHinge": lambda: losses.SquaredHinge(),
    "Dice": lambda: losses.Dice(axis=1),
    "Tversky": lambda: losses.Tversky(alpha=0.3, beta=0.7),
    "CategoricalGeneralizedCrossEntropy": lambda: losses.CategoricalGeneralizedCrossEntropy(
        q=0.3),
    "CTC": lambda: losses.CTC(name="my_ctc"),
    "Circle": lambda: losses.Circle(gamma=16.0, margin=0.3, remove_diagonal=False),
    "LossFunctionWrapper": lambda: losses.LossFunctionWrapper(losses.mean_squared_error,
                                                              name="wrapped"),
}
TASK_OF_LOSS["LossFunctionWrapper"] = "soft"

# Base classes: nothing to compute with by themselves.
ABSTRACT_LOSSES = {"Loss"}

TASK_OF_METRIC = {
    "MeanSquaredError": "soft", "MeanAbsoluteError": "soft", "MeanAbsolutePercentageError": "soft",
    "MeanSquaredLogarithmicError": "soft", "RootMeanSquaredError": "soft", "LogCoshError": "soft",
    "CosineSimilarity": "soft", "Poisson": "soft", "KLDivergence": "soft", "R2Score": "soft",
    "PearsonCorrelation": "soft", "ConcordanceCorrelation": "soft",
    "CategoricalAccuracy": "onehot", "TopKCategoricalAccuracy": "onehot",
    "CategoricalCrossentropy": "onehot", "CategoricalHinge": "onehot", "F1Score": "onehot",
    "FBetaScore": "onehot", "OneHotIoU": "onehot", "OneHotMeanIoU": "onehot",
    "SparseCategoricalAccuracy": "sparse", "SparseTopKCategoricalAccuracy": "sparse",
    "SparseCategoricalCrossentropy": "sparse", "IoU": "sparse", "MeanIoU": "sparse",
    "Accuracy": "binary", "BinaryAccuracy": "binary", "BinaryCrossentropy": "binary",
    "Hinge": "binary", "SquaredHinge": "binary", "AUC": "binary", "Precision": "binary",
    "Recall": "binary", "TruePositives": "binary", "TrueNegatives": "binary",
    "FalsePositives": "binary", "FalseNegatives": "binary", "PrecisionAtRecall": "binary",
    "RecallAtPrecision": "binary", "SensitivityAtSpecificity": "binary",
    "SpecificityAtSensitivity": "binary", "BinaryIoU": "binary", "MeanMetricWrapper": "soft",
    # metric functions (Keras's metric functions are the loss functions plus these)
    "binary_accuracy": "binary", "categorical_accuracy": "onehot",
    "sparse_categorical_accuracy": "sparse", "top_k_categorical_accuracy": "onehot",
    "sparse_top_k_categorical_accuracy": "sparse", "pearson_correlation": "soft",
    "concordance_correlation": "soft",
    **TASK_OF_LOSS,
}

METRIC_OBJECTS = {
    "MeanSquaredError": lambda: metrics.MeanSquaredError(name="m_s_e"),
    "MeanAbsoluteError": lambda: metrics.MeanAbsoluteError(),
    "MeanAbsolutePercentageError": lambda: metrics.MeanAbsolutePercentageError(),
    "MeanSquaredLogarithmicError": lambda: metrics.MeanSquaredLogarithmicError(),
    "RootMeanSquaredError": lambda: metrics.RootMeanSquaredError(),
    "LogCoshError": lambda: metrics.LogCoshError(),
    "CosineSimilarity": lambda: metrics.CosineSimilarity(axis=-1),
    "Poisson": lambda: metrics.Poisson(),
    "KLDivergence": lambda: metrics.KLDivergence(),
    "R2Score": lambda: metrics.R2Score(class_aggregation="variance_weighted_average"),
    "PearsonCorrelation": lambda: metrics.PearsonCorrelation(axis=0),
    "ConcordanceCorrelation": lambda: metrics.ConcordanceCorrelation(axis=0),
    "CategoricalAccuracy": lambda: metrics.CategoricalAccuracy(),
    "TopKCategoricalAccuracy": lambda: metrics.TopKCategoricalAccuracy(k=2),
    "CategoricalCrossentropy": lambda: metrics.CategoricalCrossentropy(label_smoothing=0.1),
    "CategoricalHinge": lambda: metrics.CategoricalHinge(),
    "F1Score": lambda: metrics.F1Score(average="macro", threshold=0.4),
    "FBetaScore": lambda: metrics.FBetaScore(average="weighted", beta=2.0),
    "OneHotIoU": lambda: metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2]),
    "OneHotMeanIoU": lambda: metrics.OneHotMeanIoU(num_classes=3),
    "SparseCategoricalAccuracy": lambda: metrics.SparseCategoricalAccuracy(),
    "SparseTopKCategoricalAccuracy": lambda: metrics.SparseTopKCategoricalAccuracy(k=2),
    "SparseCategoricalCrossentropy": lambda: metrics.SparseCategoricalCrossentropy(),
    "IoU": lambda: metrics.IoU(num_classes=3, target_class_ids=[1], sparse_y_pred=False),
    "MeanIoU": lambda: metrics.MeanIoU(num_classes=3, sparse_y_pred=False),
    "Accuracy": lambda: metrics.Accuracy(),
    "BinaryAccuracy": lambda: metrics.BinaryAccuracy(threshold=0.4),
    "BinaryCrossentropy": lambda: metrics.BinaryCrossentropy(from_logits=False),
    "Hinge": lambda: metrics.Hinge(),
    "SquaredHinge": lambda: metrics.SquaredHinge(),
    "AUC": lambda: metrics.AUC(num_thresholds=50, curve="PR", summation_method="minoring"),
    "Precision": lambda: metrics.Precision(thresholds=[0.3, 0.6]),
    "Recall": lambda: metrics.Recall(top_k=1),
    "TruePositives": lambda: metrics.TruePositives(thresholds=0.4),
    "TrueNegatives": lambda: metrics.TrueNegatives(),
    "FalsePositives": lambda: metrics.FalsePositives(),
    "FalseNegatives": lambda: metrics.FalseNegatives(thresholds=[0.2, 0.7]),
    "PrecisionAtRecall": lambda: metrics.PrecisionAtRecall(recall=0.5, num_thresholds=20),
    "RecallAtPrecision": lambda: metrics.RecallAtPrecision(precision=0.5),
    "SensitivityAtSpecificity": lambda: metrics.SensitivityAtSpecificity(specificity=0.5),
    "SpecificityAtSensitivity": lambda: metrics.SpecificityAtSensitivity(sensitivity=0.5),
    "BinaryIoU": lambda: metrics.BinaryIoU(target_class_ids=[1], threshold=0.4),
    "MeanMetricWrapper": lambda: metrics.MeanMetricWrapper(losses.mean_absolute_error,
                                                           name="wrapped_mae"),
}

# Metrics that are not `metric(y_true, y_pred)` by themselves: they aggregate whatever values
# they are given (or are the base class). Their own round trip is tested below, without compile.
AGGREGATING_METRICS = {
    "Metric": None,
    "Mean": lambda: metrics.Mean(name="running"),
    "Sum": lambda: metrics.Sum(),
    "MeanTensor": lambda: metrics.MeanTensor(shape=(3,)),
}

COMPILE_ONLY_NAMES = {  # names compile() resolves from the shapes; not (only) in the registry
    "metrics": {"acc": "binary", "accuracy": "sparse", "ACC": "onehot"},
    "losses": {"crossentropy": "onehot", "ce": "binary", "CE": "sparse"},
}


def _canonical(obj):
    return obj.__name__


def _task(table, obj):
    name = _canonical(obj)
    if name not in table:
        raise AssertionError(f"{name} has no task in this file's tables; add one.")
    return table[name]


def _needs_arguments(cls):
    if not isinstance(cls, type):
        return False
    return any(p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
               for name, p in inspect.signature(cls).parameters.items())


def _name_cases(package, table, abstract):
    """(registered name, task) for every registered name usable as `compile(...=name)`."""
    cases = {}
    for name in object_registry.builtin_names(package):
        obj = object_registry.get_registered_object(name, package=package)
        if _canonical(obj) in abstract or _needs_arguments(obj):
            continue
        cases[name] = _task(table, obj)
    return cases


LOSS_NAMES = {**_name_cases("losses", TASK_OF_LOSS, ABSTRACT_LOSSES),
              **COMPILE_ONLY_NAMES["losses"]}
METRIC_NAMES = {**_name_cases("metrics", TASK_OF_METRIC, set(AGGREGATING_METRICS)),
                **COMPILE_ONLY_NAMES["metrics"]}


def _public_classes(module, base):
    return {name for name, obj in vars(module).items()
            if isinstance(obj, type) and issubclass(obj, base) and not name.startswith("_")}


def test_every_loss_has_a_case():
    classes = _public_classes(losses, losses.Loss)
    missing = classes - set(LOSS_OBJECTS) - ABSTRACT_LOSSES
    assert not missing, f"loss classes without a save/load case: {sorted(missing)}"
    functions = {name for name, obj in vars(losses).items()
                 if inspect.isfunction(obj) and obj.__module__.startswith("lamina.losses.")
                 and object_registry.get_registered_object(name, package="losses") is obj}
    assert functions <= set(LOSS_NAMES), sorted(functions - set(LOSS_NAMES))


def test_every_metric_has_a_case():
    classes = _public_classes(metrics, metrics.Metric)
    missing = classes - set(METRIC_OBJECTS) - set(AGGREGATING_METRICS)
    assert not missing, f"metric classes without a save/load case: {sorted(missing)}"


# ---------------------------------------------------------------------------- the round trip
def _model(task):
    lamina.utils.set_random_seed(11)
    if task == "sequence":  # CTC: logits over 4 classes (0 is the blank) at each of 5 steps
        return lamina.Sequential([lamina.Input(shape=(5, 4)), layers.Dense(4)])
    units, activation = (1, "sigmoid") if task == "binary" else (3, "softmax")
    return lamina.Sequential([lamina.Input(shape=(4,)), layers.Dense(units, activation=activation)])


def _data(task):
    rng = np.random.RandomState(5)
    if task == "sequence":  # labels of length 2, padded with 0 to 3
        labels = rng.randint(1, 4, (16, 3))
        labels[:, 2] = 0
        return rng.uniform(-2, 2, (16, 5, 4)).astype("float32"), labels
    x = rng.uniform(-2, 2, (16, 4)).astype("float32")
    labels = rng.randint(0, 3, 16)
    if task == "binary":
        return x, (labels > 0).astype("float32")[:, None]
    if task == "sparse":
        return x, labels
    onehot = np.eye(3, dtype="float32")[labels]
    return x, onehot if task == "onehot" else onehot * 0.7 + 0.1


_DEFAULT_LOSS = {"soft": "mean_squared_error", "onehot": "categorical_crossentropy",
                 "sparse": "sparse_categorical_crossentropy", "binary": "binary_crossentropy"}


def _round_trip(tmp_path, task, loss, metric_list, extension=".keras"):
    x, y = _data(task)
    model = _model(task)
    model.compile(optimizer="sgd", loss=loss, metrics=metric_list)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    expected = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    model.save(tmp_path / f"model{extension}")
    loaded = lamina.models.load_model(tmp_path / f"model{extension}")
    got = loaded.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    assert list(got) == list(expected)
    for key in expected:
        np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(expected[key]),
                                      err_msg=key)
    assert all(np.all(np.isfinite(np.asarray(v))) for v in expected.values()), expected
    return model, loaded


@pytest.mark.parametrize("name", sorted(LOSS_OBJECTS))
def test_loss_object_round_trip(name, tmp_path):
    loss = LOSS_OBJECTS[name]()
    model, loaded = _round_trip(tmp_path, TASK_OF_LOSS[name], loss, None)
    assert loaded.get_compile_config() == model.get_compile_config()
    assert type(loaded._compile_config["loss"]) is type(loss)
    assert loaded._compile_config["loss"].get_config() == loss.get_config()


@pytest.mark.parametrize("name", sorted(LOSS_NAMES))
def test_loss_name_round_trip(name, tmp_path):
    model, loaded = _round_trip(tmp_path, LOSS_NAMES[name], name, None)
    assert loaded.get_compile_config() == model.get_compile_config()


@pytest.mark.parametrize("name", sorted(METRIC_OBJECTS))
def test_metric_object_round_trip(name, tmp_path):
    task = TASK_OF_METRIC[name]
    metric = METRIC_OBJECTS[name]()
    model, loaded = _round_trip(tmp_path, task, _DEFAULT_LOSS[task], [metric])
    assert loaded.get_compile_config() == model.get_compile_config()
    restored = loaded._compile_config["metrics"][0]
    assert type(restored) is type(metric)
    assert restored.get_config() == metric.get_config()


@pytest.mark.parametrize("name", sorted(METRIC_NAMES))
def test_metric_name_round_trip(name, tmp_path):
    task = METRIC_NAMES[name]
    model, loaded = _round_trip(tmp_path, task, _DEFAULT_LOSS[task], [name])
    assert loaded.get_compile_config() == model.get_compile_config()


@pytest.mark.parametrize("task", ["soft", "onehot", "sparse", "binary"])
def test_all_metrics_of_a_task_in_one_legacy_h5(task, tmp_path):
    """Legacy `.h5`: every metric object and name of a task at once, same evaluate() numbers."""
    objects = [make() for name, make in sorted(METRIC_OBJECTS.items())
               if TASK_OF_METRIC[name] == task]
    names = [name for name, t in sorted(METRIC_NAMES.items()) if t == task]
    loss_objects = [make() for name, make in sorted(LOSS_OBJECTS.items())
                    if TASK_OF_LOSS[name] == task]
    model, loaded = _round_trip(tmp_path, task, loss_objects[0], objects + names, extension=".h5")
    assert loaded.get_compile_config() == model.get_compile_config()


@pytest.mark.parametrize("name", sorted(n for n, make in AGGREGATING_METRICS.items() if make))
def test_aggregating_metric_config_round_trip(name):
    metric = AGGREGATING_METRICS[name]()
    rebuilt = metrics.deserialize(metrics.serialize(metric))
    assert type(rebuilt) is type(metric)
    assert rebuilt.get_config() == metric.get_config()
    for m in (metric, rebuilt):
        m.update_state(np.array([1.0, 2.0, 4.0], "float32"))
        m.update_state(np.array([0.5, -2.0, 3.0], "float32"))
    np.testing.assert_array_equal(np.asarray(rebuilt.result()), np.asarray(metric.result()))
