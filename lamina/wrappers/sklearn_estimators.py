"""`SKLearnClassifier`, `SKLearnRegressor` and `SKLearnTransformer`: a lamina model as a
scikit-learn estimator, for pipelines, cross-validation and grid searches.

Each wraps either a compiled model instance (cloned with fresh weights before each `fit`,
unless `warm_start=True`) or a function `model(X=..., y=..., **model_kwargs)` that builds and
compiles one once the data's shapes are known.
"""

import numpy as np

from lamina.registry.object_registry import keras_export
from lamina.wrappers import sklearn_base
from lamina.wrappers.sklearn_base import ClassifierMixin, RegressorMixin, SKLBase, TransformerMixin

_ARGS_DOC = """
    Args:
        model: A compiled lamina `Model`, or a callable that returns one. A model instance is
            cloned (fresh weights, same compile arguments) before each `fit`, unless
            `warm_start=True`. A callable is called as `model(X=X, y=y, **model_kwargs)`
            with the validated training data, so it can size the input and output layers.
        warm_start: If `True`, a second `fit` goes on training the model of the first one
            (and a model instance is trained in place rather than cloned). Defaults to `False`.
        model_kwargs: Extra keyword arguments for `model` when it is a callable.
        fit_kwargs: Keyword arguments for `model.fit` (`epochs`, `batch_size`, ...). Those
            given to the wrapper's own `fit` take precedence.

    Attributes:
        model_: The trained model.
        history_: The `History.history` dict of the last `fit` (metric name -> values).
"""


@keras_export("wrappers.SKLearnClassifier", package=False)
class SKLearnClassifier(ClassifierMixin, SKLBase):
    __doc__ = (
        """A scikit-learn classifier around a lamina model.

    The labels are one-hot encoded for the model (so it needs one output unit per class, and
    typically a softmax and `categorical_crossentropy`); `predict` returns the label of the
    largest output, and `decision_function` the raw outputs.
    """ + _ARGS_DOC + """        classes_: The class labels seen by `fit`, sorted.

    Example:

    ```python
    def build(X, y, hidden=16):
        inputs = lamina.Input((X.shape[1],))
        x = lamina.layers.Dense(hidden, activation="relu")(inputs)
        outputs = lamina.layers.Dense(y.shape[1], activation="softmax")(x)
        model = lamina.Model(inputs, outputs)
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        return model

    classifier = SKLearnClassifier(build, fit_kwargs={"epochs": 20, "verbose": 0})
    scores = sklearn.model_selection.cross_val_score(classifier, X, y, cv=3)
    ```
    """)

    def decision_function(self, X):
        """The model's raw outputs for `X`, shape `(n_samples, n_classes)`."""
        return self._raw_predict(X)

    def _process_target(self, y, reset=False):
        kind = sklearn_base.target_type(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                "SKLearnClassifier supports binary and multiclass targets only; this target "
                f"is {kind!r}. For continuous targets use SKLearnRegressor."
            )
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder

            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError(
                    f"The classifier cannot learn from only one class; y has only "
                    f"the class {self.classes_[0]!r}."
                )
            self._target_encoder = make_pipeline(
                sklearn_base.TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
        return self._target_encoder.transform(y)

    def _more_tags(self):  # scikit-learn < 1.6
        return {**super()._more_tags(), "poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


@keras_export("wrappers.SKLearnRegressor", package=False)
class SKLearnRegressor(RegressorMixin, SKLBase):
    __doc__ = (
        """A scikit-learn regressor around a lamina model.

    A 1D target is given to the model as one column, and `predict` returns 1D again.
    """ + _ARGS_DOC + """
    Example:

    ```python
    def build(X, y):
        inputs = lamina.Input((X.shape[1],))
        outputs = lamina.layers.Dense(y.shape[1])(inputs)
        model = lamina.Model(inputs, outputs)
        model.compile(optimizer="adam", loss="mse")
        return model

    pipeline = sklearn.pipeline.make_pipeline(
        sklearn.preprocessing.StandardScaler(),
        SKLearnRegressor(build, fit_kwargs={"epochs": 50, "verbose": 0}))
    pipeline.fit(X, y)
    ```
    """)

    def _more_tags(self):  # scikit-learn < 1.6
        return {**super()._more_tags(), "poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


@keras_export("wrappers.SKLearnTransformer", package=False)
class SKLearnTransformer(TransformerMixin, SKLBase):
    __doc__ = (
        """A scikit-learn transformer (a pipeline step that maps `X` to new features) around
    a lamina model: `fit` trains the model on `X`, `y`, and `transform` returns its outputs,
    e.g. an embedding. Wrap it in `sklearn.frozen.FrozenEstimator` to use a trained model
    without training it again inside a pipeline.
    """ + _ARGS_DOC)

    def transform(self, X):
        """The model's outputs for `X`, shape `(n_samples, n_output_features)`."""
        return self._raw_predict(X)

    def _more_tags(self):  # scikit-learn < 1.6
        return {**super()._more_tags(), "preserves_dtype": []}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
