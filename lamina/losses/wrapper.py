"""`LossFunctionWrapper`: a `Loss` made from a plain function `fn(y_true, y_pred, **kwargs)`.

Every built-in loss class is one of these around its function (`MeanSquaredError` wraps
`mean_squared_error`), and `compile(loss="mse")` wraps the function the same way.
"""

from lamina.losses.loss import Loss, check_function_kwargs, squeeze_or_expand_to_same_rank
from lamina.registry import object_registry
from lamina.registry.export import keras_export
from lamina.registry.serialization import deserialize_keras_object, serialize_keras_object


@keras_export("losses.LossFunctionWrapper")
class LossFunctionWrapper(Loss):
    """Wrap `fn(y_true, y_pred, **fn_kwargs) -> per-sample losses` as a `Loss`.

    Example:
        loss = LossFunctionWrapper(lambda t, p: (t - p).abs().mean(-1), name="my_mae")
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(
                f"LossFunctionWrapper expects a callable fn(y_true, y_pred); got {fn!r}."
            )
        check_function_kwargs(fn, kwargs, f"LossFunctionWrapper({getattr(fn, '__name__', fn)})")
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if y_true.dim() != y_pred.dim():
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config["fn"] = serialize_keras_object(self.fn)
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            config["fn"] = deserialize_keras_object(config["fn"], package="losses", what="loss")
        return cls(**config)

    def __repr__(self):
        name = object_registry.get_registered_name(self.fn)
        return f"<{type(self).__name__}({name}, name={self.name}, kwargs={self._fn_kwargs})>"


class BuiltinLoss(LossFunctionWrapper):
    """Base of the built-in loss classes: their config is their constructor arguments, not `fn`."""

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}
