"""Keras 2's KerasClassifier / KerasRegressor(build_fn=...), as the classic tutorials use them
with cross_val_score, pipelines and grid search (lamina/wrappers/scikit_learn.py)."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import (GridSearchCV, KFold, StratifiedKFold,  # noqa: E402
                                     cross_val_score)
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import lamina  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

RNG = np.random.RandomState(0)
X = RNG.rand(60, 4).astype("float32")
LABELS = np.where(X[:, 0] + X[:, 1] > 1.0, "yes", "no")  # labels of any kind, as in Keras 2


def binary_model(units=6, optimizer="adam"):
    model = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(units, activation="relu"),
                               lamina.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


def three_class_model():
    model = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def test_classifier_maps_labels_and_scores_accuracy():
    from lamina.wrappers.scikit_learn import KerasClassifier

    estimator = KerasClassifier(build_fn=binary_model, units=5, epochs=2, batch_size=8,
                                verbose=0)
    estimator.fit(X, LABELS)
    assert list(estimator.classes_) == ["no", "yes"]
    assert estimator.model.layers[0].units == 5  # a build_fn argument from sk_params
    probabilities = estimator.predict_proba(X)
    assert probabilities.shape == (60, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    predicted = estimator.predict(X).ravel()
    np.testing.assert_array_equal(predicted, np.where(probabilities[:, 1] > 0.5, "yes", "no"))
    logs = estimator.model.evaluate(X, (LABELS == "yes").astype("float32"), verbose=0,
                                    return_dict=True)
    assert estimator.score(X, LABELS) == pytest.approx(logs["accuracy"])


def test_categorical_crossentropy_gets_one_hot_labels():
    from lamina.wrappers.scikit_learn import KerasClassifier

    y = np.array([2, 0, 1] * 20)
    estimator = KerasClassifier(build_fn=three_class_model, epochs=1, verbose=0)
    history = estimator.fit(X, y)  # (Keras 2's fit returns the History)
    assert isinstance(history, lamina.callbacks.History) and "loss" in history.history
    assert set(estimator.predict(X)) <= {0, 1, 2}
    probabilities = estimator.predict_proba(X)
    assert probabilities.shape == (60, 3)
    np.testing.assert_array_equal(estimator.predict(X), probabilities.argmax(axis=1))


def test_cross_validation_pipelines_and_grid_search():
    from lamina.wrappers.scikit_learn import KerasClassifier, KerasRegressor

    classifier = KerasClassifier(build_fn=binary_model, epochs=1, batch_size=10, verbose=0)
    scores = cross_val_score(classifier, X, LABELS, cv=StratifiedKFold(n_splits=3))
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))

    def regression_model():
        model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
        model.compile(loss="mean_squared_error", optimizer="adam")
        return model

    pipeline = Pipeline([("standardize", StandardScaler()),
                         ("mlp", KerasRegressor(build_fn=regression_model, epochs=1, verbose=0))])
    scores = cross_val_score(pipeline, X[:, :3], X[:, 3], cv=KFold(n_splits=3))
    assert scores.shape == (3,) and np.all(scores <= 0)  # minus the loss
    grid = GridSearchCV(KerasClassifier(build_fn=binary_model, verbose=0),
                        {"units": [2, 3], "epochs": [1]}, cv=2).fit(X, LABELS)
    assert grid.best_params_["units"] in (2, 3)
    copy = clone(classifier)
    assert copy.get_params() == classifier.get_params() and copy is not classifier


def test_regressor_score_is_minus_the_loss_and_bad_parameters_are_named():
    from lamina.wrappers.scikit_learn import KerasClassifier, KerasRegressor

    def regression_model():
        model = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(1)])
        model.compile(loss="mse", optimizer="sgd")
        return model

    regressor = KerasRegressor(build_fn=regression_model, epochs=1, verbose=0)
    regressor.fit(X, X[:, 0])
    assert regressor.predict(X).shape == (60,)
    loss = regressor.model.evaluate(X, X[:, 0], verbose=0)
    assert regressor.score(X, X[:, 0]) == pytest.approx(-loss)
    with pytest.raises(ValueError, match="nb_neurons is not a legal parameter"):
        KerasClassifier(build_fn=binary_model, nb_neurons=3)

