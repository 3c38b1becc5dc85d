"""What the three scikit-learn wrappers share: the optional import of scikit-learn, the base
estimator (parameters, cloning, fit and predict around a lamina model) and the target reshaper.

scikit-learn is optional. The wrappers must subclass its `BaseEstimator` and mixins, so the
import happens when `lamina.wrappers` is imported; without scikit-learn the classes still exist
(on stand-in bases) and creating one raises an ImportError that says how to install it.
"""

import copy

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # the wrappers then refuse to be created (`require_sklearn`)
    sklearn = None

    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass

    class TransformerMixin:
        pass


def require_sklearn(symbol_name):
    if sklearn is None:
        raise ImportError(
            f"{symbol_name} needs scikit-learn, which is not installed. Install it with "
            "`pip install scikit-learn` (or `pip install lamina[sklearn]`)."
        )


def validate_data(estimator, *args, **kwargs):
    """scikit-learn's input checks (and `n_features_in_` bookkeeping), old and new spelling."""
    try:
        from sklearn.utils.validation import validate_data as sklearn_validate_data
    except ImportError:  # scikit-learn < 1.6
        return estimator._validate_data(*args, **kwargs)
    return sklearn_validate_data(estimator, *args, **kwargs)


def target_type(y):
    """scikit-learn's name for the kind of target ("binary", "continuous", ...); unknown
    kinds (e.g. object arrays of mixed things) are refused here."""
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    if kind == "unknown":
        raise ValueError(f"Unknown label type for the target y: {y!r}")
    return kind


def routing_enabled():
    return sklearn is not None and bool(sklearn.get_config().get("enable_metadata_routing"))


class TargetReshaper(TransformerMixin, BaseEstimator):
    """Makes a 1D target 2D (one column) for the model, and squeezes predictions back to 1D
    when the target it was fitted on was 1D."""

    def fit(self, y):
        self.ndim_ = np.ndim(y)
        return self

    def transform(self, y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return np.squeeze(y, axis=1) if self.ndim_ == 1 and y.ndim == 2 else y


class SKLBase(BaseEstimator):
    """A scikit-learn estimator around a compiled lamina model (see `SKLearnRegressor`)."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    # scikit-learn's estimator tags: training is random, so refitting may give other numbers.
    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        """An unfitted copy with the same parameters. The `model` is shared, not deep-copied:
        a builder function needs no copy, and a model instance is cloned by `fit` anyway."""
        return type(self)(model=self.model, warm_start=self.warm_start,
                          model_kwargs=copy.deepcopy(self.model_kwargs),
                          fit_kwargs=copy.deepcopy(self.fit_kwargs))

    @property
    def epoch_(self):
        """How many epochs the last `fit` ran (0 before fitting)."""
        history = getattr(self, "history_", None) or {}
        return max((len(values) for values in history.values()), default=0)

    def set_fit_request(self, **kwargs):
        """Ask scikit-learn's metadata routing to pass these arguments (e.g.
        `sample_weight=True`) to `fit`, which hands them to `model.fit`. Needs
        `sklearn.set_config(enable_metadata_routing=True)`."""
        if not routing_enabled():
            raise RuntimeError(
                "set_fit_request() only works with scikit-learn's metadata routing enabled: "
                "call sklearn.set_config(enable_metadata_routing=True) first."
            )
        from sklearn.utils.metadata_routing import MetadataRequest

        self._metadata_request = MetadataRequest(owner=type(self).__name__)
        for param, alias in kwargs.items():
            self._metadata_request.fit.add_request(param=param, alias=alias)
        return self

    def fit(self, X, y, **kwargs):
        """Build (or clone) the model and train it on `X`, `y`.

        Args:
            X: array-like of shape `(n_samples, n_features)`.
            y: array-like of shape `(n_samples,)` or `(n_samples, n_outputs)`.
            **kwargs: passed to `model.fit`; they take precedence over `fit_kwargs`.
        """
        X, y = validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        _check_compiled(model)
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        self.history_ = dict(model.fit(X, y, **fit_kwargs).history)
        self.model_ = model
        return self

    def predict(self, X):
        """The model's predictions, in the target's original form (1D stays 1D)."""
        return self._reverse_process_target(self._raw_predict(X))

    def _raw_predict(self, X):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X, verbose=0)

    def _get_model(self, X, y):
        from lamina import models

        if self.warm_start and hasattr(self, "model_"):
            return self.model_  # go on training the weights of the previous fit
        if isinstance(self.model, models.Model):
            return self.model if self.warm_start else _clone_compiled(self.model)
        if not callable(self.model):
            raise TypeError(
                "`model` must be a lamina Model or a callable that builds and compiles one "
                f"from keyword arguments X and y. Received: model={self.model!r}"
            )
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def _process_target(self, y, reset=False):
        """Regressors and transformers give the model a 2D target."""
        target_type(y)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


def _clone_compiled(model):
    """A fresh copy of `model` (new weights), compiled as `model` was."""
    from lamina import models

    clone = models.clone_model(model)
    config = model.get_compile_config() if getattr(model, "compiled", False) else None
    if config and not getattr(clone, "compiled", False):
        clone.compile_from_config(config)
    return clone


def _check_compiled(model):
    if not getattr(model, "compiled", False) or not model.loss or not model.optimizer:
        raise RuntimeError(
            "The model given to the scikit-learn wrapper must be compiled with a loss and an "
            "optimizer: call model.compile(optimizer=..., loss=...) (in the `model` function "
            "when you pass one)."
        )
