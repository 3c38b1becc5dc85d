"""Keras 2's scikit-learn wrappers, `keras.wrappers.scikit_learn.KerasClassifier` and
`KerasRegressor`, as the classic tutorials use them:

    estimator = KerasClassifier(build_fn=create_model, epochs=150, batch_size=10, verbose=0)
    results = cross_val_score(estimator, X, Y, cv=StratifiedKFold(n_splits=10))

`build_fn` builds and compiles a fresh model; the other keyword arguments ("sk_params") go to
`build_fn`, `fit`, `predict` or `evaluate`, whichever takes them. Keras 3 replaced these with
`keras.wrappers.SKLearnClassifier(model=...)` (lamina.wrappers); these keep Keras 2's
behaviour (its label handling, `score` = accuracy or minus the loss) and warn once.
"""

import inspect
import types
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from lamina.models.sequential import Sequential
from lamina.utils.numerical_utils import to_categorical
from lamina.utils.arguments import user_stacklevel

_WARNED = set()
# What sk_params may name besides build_fn's own arguments (Keras 2 checked the same methods).
_METHODS = (Sequential.fit, Sequential.predict, Sequential.evaluate)


class BaseWrapper(BaseEstimator):
    """(A scikit-learn estimator for its tags, with Keras 2's own get_params/set_params: its
    parameters are the free-form sk_params, not named in __init__.)"""

    def __init__(self, build_fn=None, **sk_params):
        if type(self).__name__ not in _WARNED:  # (once: scikit-learn clones estimators a lot)
            _WARNED.add(type(self).__name__)
            warnings.warn(f"{type(self).__name__}(build_fn=...) is the Keras 2 scikit-learn "
                          f"wrapper; Keras 3 has keras.wrappers.SKLearn"
                          f"{type(self).__name__[5:]}(model=...).", DeprecationWarning,
                          stacklevel=user_stacklevel())
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    # ----------------------------------------------------------- scikit-learn's protocol
    def check_params(self, params):
        """Every parameter must be an argument of build_fn, fit, predict or evaluate."""
        legal = set()
        for fn in _METHODS + (self._builder(),):
            legal |= set(inspect.signature(fn).parameters)
        for name in params:
            if name not in legal:
                raise ValueError(f"{name} is not a legal parameter of {type(self).__name__}: "
                                 f"pass arguments of build_fn, fit, predict or evaluate "
                                 f"(e.g. epochs=10, batch_size=32).")

    def get_params(self, deep=True):
        # (the same objects, not copies: scikit-learn's clone() checks identity)
        return {**self.sk_params, "build_fn": self.build_fn}

    def set_params(self, **params):
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model")

    # ----------------------------------------------------------- training
    def fit(self, x, y, **kwargs):
        builder = self._builder()
        self.model = builder(**self.filter_sk_params(builder))
        if _loss_name(self.model) == "categorical_crossentropy" and np.ndim(y) != 2:
            y = to_categorical(y)
        fit_args = {**self.filter_sk_params(Sequential.fit), **kwargs}
        return self.model.fit(x, y, **fit_args)

    def filter_sk_params(self, fn, override=None):
        """The sk_params that `fn` takes, updated with `override`."""
        names = inspect.signature(fn).parameters
        chosen = {key: value for key, value in self.sk_params.items() if key in names}
        chosen.update(override or {})
        return chosen

    def _builder(self):
        if self.build_fn is None:
            return self.__call__
        if isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn
        return self.build_fn.__call__


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """Keras 2's classifier wrapper: labels may be any values (`classes_` maps them), one
    output unit means a 0.5 threshold, several mean argmax."""

    def fit(self, x, y, sample_weight=None, **kwargs):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError(f"KerasClassifier.fit: labels of shape {y.shape}; expected "
                             "(samples,), (samples, 1) or one-hot (samples, classes).")
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def predict(self, x, **kwargs):
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        probabilities = np.asarray(self.model.predict(x, **{"verbose": 0, **kwargs}))
        if probabilities.shape[-1] > 1:
            indices = probabilities.argmax(axis=-1)
        else:
            indices = (probabilities > 0.5).astype("int32")
        return self.classes_[indices]

    def predict_proba(self, x, **kwargs):
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        probabilities = np.asarray(self.model.predict(x, **{"verbose": 0, **kwargs}))
        if probabilities.shape[1] == 1:  # one sigmoid unit: both classes' columns
            probabilities = np.hstack([1 - probabilities, probabilities])
        return probabilities

    def score(self, x, y, **kwargs):
        """The model's accuracy on (x, y) (it must be compiled with metrics=["accuracy"])."""
        y = np.searchsorted(self.classes_, y)
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        if _loss_name(self.model) == "categorical_crossentropy" and np.ndim(y) != 2:
            y = to_categorical(y)
        results = self.model.evaluate(x, y, **{"verbose": 0, **kwargs}, return_dict=True)
        for name in ("accuracy", "acc"):
            if name in results:
                return float(results[name])
        raise ValueError("KerasClassifier.score() reports the accuracy, which this model does "
                         "not compute: compile it with metrics=['accuracy'].")


class KerasRegressor(RegressorMixin, BaseWrapper):
    """Keras 2's regressor wrapper: `predict` squeezes the output, `score` is minus the loss."""

    def predict(self, x, **kwargs):
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        return np.squeeze(np.asarray(self.model.predict(x, **{"verbose": 0, **kwargs})))

    def score(self, x, y, **kwargs):
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        results = self.model.evaluate(x, y, **{"verbose": 0, **kwargs}, return_dict=True)
        return -float(results["loss"])


def _loss_name(model):
    loss = getattr(model, "loss", None)
    return loss if isinstance(loss, str) else getattr(loss, "__name__", None)
