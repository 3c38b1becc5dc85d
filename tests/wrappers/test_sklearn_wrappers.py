"""lamina.wrappers against scikit-learn's own estimator checks and Keras's documented semantics
(keras/src/wrappers/sklearn_wrapper.py docstrings: cloning, warm_start, fit_kwargs, one-hot
targets, decision_function)."""

import numpy as np
import pytest
import torch

sklearn = pytest.importorskip("sklearn")

from sklearn import base as sklearn_base  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from lamina import layers, models, optimizers, utils  # noqa: E402
from lamina.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402


def dense_model(X, y, loss, out_activation="softmax", hidden=10, seed=0, optimizer="rmsprop"):
    """Keras's test builder: sizes come from the data. Seeded so refits are reproducible."""
    if seed is not None:
        utils.set_random_seed(seed)
    inputs = layers.Input((X.shape[1],))
    x = layers.Dense(hidden, activation="relu")(inputs)
    outputs = layers.Dense(y.shape[1] if y.ndim > 1 else 1, activation=out_activation)(x)
    model = models.Model(inputs, outputs)
    model.compile(loss=loss, optimizer=optimizer)
    return model


QUIET = {"verbose": 0}

# The classifier checks Keras 3.15 also lists as expected failures (sklearn_test.py): they test
# properties of the model's training, not of the wrapper.
EXPECTED_FAILED_CHECKS = {
    "SKLearnClassifier": {
        "check_classifiers_one_label_sample_weights": "a zero sample weight is not ignored",
        "check_classifiers_classes": "a tiny model on tiny data misses some classes",
        "check_classifiers_train": "decision_function returns the model's raw outputs",
    },
    "SKLearnRegressor": {},
    "SKLearnTransformer": {},
}


@parametrize_with_checks(
    [
        SKLearnClassifier(dense_model, model_kwargs={"loss": "categorical_crossentropy"},
                          fit_kwargs={"epochs": 1, **QUIET}),
        SKLearnRegressor(dense_model, model_kwargs={"loss": "mse", "out_activation": None},
                         fit_kwargs=QUIET),
        SKLearnTransformer(dense_model, model_kwargs={"loss": "mse", "out_activation": None},
                           fit_kwargs=QUIET),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS[type(estimator).__name__],
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_classification(n_samples=90, n_features=4, n_informative=3, n_redundant=0,
                               n_classes=3, n_clusters_per_class=1, class_sep=3.0,
                               random_state=0)
    return X.astype("float32"), y


def classifier(**fit_kwargs):
    return SKLearnClassifier(dense_model, model_kwargs={"loss": "categorical_crossentropy"},
                             fit_kwargs={"epochs": 1, **QUIET, **fit_kwargs})


@pytest.mark.parametrize("out_activation", ["softmax", None])
def test_predict_is_the_class_of_the_largest_decision_value(blobs, out_activation):
    X, y = blobs
    estimator = SKLearnClassifier(
        dense_model, fit_kwargs={"epochs": 1, **QUIET},
        model_kwargs={"loss": "binary_crossentropy", "out_activation": out_activation})
    estimator.fit(X, y)
    scores = estimator.decision_function(X)
    assert scores.shape == (len(X), 3)
    np.testing.assert_array_equal(estimator.predict(X), estimator.classes_[scores.argmax(1)])


def test_labels_are_one_hot_for_the_model_and_come_back_as_given(blobs):
    X, y = blobs
    names = np.array(["cat", "dog", "eel"])[y]
    seen = {}

    def build(X, y):
        seen["y"] = y
        return dense_model(X, y, "categorical_crossentropy")

    estimator = SKLearnClassifier(build, fit_kwargs={"epochs": 1, **QUIET}).fit(X, names)
    np.testing.assert_array_equal(seen["y"], np.eye(3)[y])  # classes in sorted order
    np.testing.assert_array_equal(estimator.classes_, ["cat", "dog", "eel"])
    assert set(estimator.predict(X)) <= {"cat", "dog", "eel"}


def test_cross_val_score_in_a_pipeline_learns_separable_classes(blobs):
    X, y = blobs
    fast = SKLearnClassifier(dense_model, fit_kwargs={"epochs": 8, "batch_size": 10, **QUIET},
                             model_kwargs={"loss": "categorical_crossentropy",
                                           "optimizer": optimizers.Adam(0.02)})
    pipeline = make_pipeline(StandardScaler(), fast)
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8, scores


def test_regressor_keeps_a_1d_target_1d_and_learns_a_line():
    X, y = make_regression(n_samples=64, n_features=3, noise=0.0, random_state=0)
    y = y / np.abs(y).max()
    estimator = SKLearnRegressor(dense_model, fit_kwargs={"epochs": 150, **QUIET},
                                 model_kwargs={"loss": "mse", "out_activation": None})
    estimator.fit(X, y)
    assert estimator.predict(X).shape == (64,)
    assert estimator.score(X, y) > 0.9  # RegressorMixin's R^2


def test_transformer_returns_the_model_outputs_inside_a_pipeline(blobs):
    X, y = blobs
    transformer = SKLearnTransformer(dense_model, fit_kwargs={"epochs": 1, **QUIET},
                                     model_kwargs={"loss": "mse", "out_activation": None})
    features = transformer.fit_transform(X, y)
    assert features.shape == (len(X), 1)
    np.testing.assert_allclose(features, transformer.model_.predict(X, verbose=0))
    pipeline = make_pipeline(transformer, sklearn.linear_model.LogisticRegression())
    assert pipeline.fit(X, y).predict(X).shape == (len(X),)


def test_clone_and_get_params_keep_every_parameter():
    estimator = SKLearnRegressor(dense_model, warm_start=True, model_kwargs={"loss": "mse"},
                                 fit_kwargs={"epochs": 4})
    params = estimator.get_params()
    assert params == {"model": dense_model, "warm_start": True, "model_kwargs": {"loss": "mse"},
                      "fit_kwargs": {"epochs": 4}}
    copy = sklearn_base.clone(estimator)
    assert copy is not estimator and copy.get_params() == params
    assert copy.model_kwargs is not estimator.model_kwargs
    copy.set_params(fit_kwargs={"epochs": 2})
    assert estimator.fit_kwargs == {"epochs": 4}


def test_a_model_instance_is_cloned_with_its_compile_arguments(blobs):
    X, y = blobs
    model = dense_model(X, np.eye(3)[y], "categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    estimator = SKLearnClassifier(model, fit_kwargs={"epochs": 2, **QUIET}).fit(X, y)
    assert estimator.model_ is not model
    assert estimator.model_.compiled and estimator.model_.loss == "categorical_crossentropy"
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)  # the given model is left untouched
    assert estimator.epoch_ == 2


def test_warm_start_goes_on_training_the_same_model(blobs):
    X, y = blobs
    model = dense_model(X, np.eye(3)[y], "categorical_crossentropy")
    estimator = SKLearnClassifier(model, warm_start=True, fit_kwargs={"epochs": 1, **QUIET})
    estimator.fit(X, y)
    assert estimator.model_ is model  # trained in place
    after_first = [w.copy() for w in model.get_weights()]
    estimator.fit(X, y)
    assert estimator.model_ is model
    assert any(not np.array_equal(a, b) for a, b in zip(after_first, model.get_weights()))


def test_fit_arguments_override_fit_kwargs_without_changing_them(blobs):
    X, y = blobs
    estimator = classifier()
    estimator.fit(X, y, epochs=3)
    assert estimator.epoch_ == 3 and len(estimator.history_["loss"]) == 3
    assert estimator.fit_kwargs == {"epochs": 1, **QUIET}


def test_metadata_routing_sends_sample_weight_to_model_fit(blobs):
    X, y = blobs
    with pytest.raises(RuntimeError, match="enable_metadata_routing=True"):
        classifier().set_fit_request(sample_weight=True)
    with sklearn.config_context(enable_metadata_routing=True):
        estimator = classifier().set_fit_request(sample_weight=True)
        pipeline = Pipeline([("model", estimator)])
        pipeline.fit(X, y, sample_weight=np.zeros(len(X)))
    # every sample weighs nothing, so the loss the model saw is exactly zero
    assert estimator.history_["loss"] == [0.0]


def test_targets_the_classifier_cannot_learn_are_refused(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="binary and multiclass.*'continuous'"):
        classifier().fit(X, y + 0.5)
    with pytest.raises(ValueError, match="only one class"):
        classifier().fit(X, np.zeros(len(X), dtype=int))


def test_an_uncompiled_model_is_refused(blobs):
    X, y = blobs
    model = models.Sequential([layers.Input((4,)), layers.Dense(3)])
    with pytest.raises(RuntimeError, match=r"must be compiled.*model.compile"):
        SKLearnClassifier(model, warm_start=True).fit(X, y)


def test_predict_before_fit_says_so(blobs):
    with pytest.raises(sklearn.exceptions.NotFittedError):
        classifier().predict(blobs[0])


def test_without_scikit_learn_the_error_says_how_to_install_it(monkeypatch):
    from lamina.wrappers import sklearn_base as wrapper_base

    monkeypatch.setattr(wrapper_base, "sklearn", None)
    with pytest.raises(ImportError, match=r"pip install scikit-learn"):
        SKLearnRegressor(dense_model)


def test_the_trained_model_is_a_torch_module(blobs):
    X, y = blobs
    estimator = classifier().fit(X, y)
    assert isinstance(estimator.model_, torch.nn.Module)
