"""How `compile(metrics=[...])` turns each entry into a `Metric`, as Keras does.

"accuracy" / "acc" pick binary, sparse or categorical accuracy from the shapes of the targets
and the model output (not from the loss); other strings go through `metrics.get`; plain
functions are wrapped in `MeanMetricWrapper`. A metric given as a string is named by that
string, so logs read "acc" or "mae" exactly as written.
"""

from lamina.losses.compile_resolution import is_binary_or_sparse_categorical
from lamina.metrics import accuracy
from lamina.metrics.metric import Metric
from lamina.metrics.reduction import MeanMetricWrapper


def accuracy_for_shapes(y_true_shape, y_pred_shape, name="accuracy"):
    """The accuracy metric "accuracy" means for these shapes, named `name`."""
    is_binary, is_sparse = is_binary_or_sparse_categorical(y_true_shape, y_pred_shape)
    if is_binary:
        return accuracy.BinaryAccuracy(name=name)
    if is_sparse:
        return accuracy.SparseCategoricalAccuracy(name=name)
    return accuracy.CategoricalAccuracy(name=name)


def resolve_compile_metric(identifier, y_true_shape, y_pred_shape):
    if identifier is None:
        raise ValueError("Expected a metric, received None.")
    from lamina import metrics

    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        metric = accuracy_for_shapes(y_true_shape, y_pred_shape, name=identifier)
    else:
        try:
            metric = metrics.get(identifier)
        except TypeError:
            raise TypeError(
                f"compile(metrics=...): could not interpret {identifier!r} as a metric. Pass "
                "a list of metric names such as ['accuracy'], Metric instances or functions"
                "(y_true, y_pred) (a dict keyed by output name for several outputs)."
            ) from None
    if isinstance(identifier, str):
        name = identifier
    else:
        name = getattr(metric, "name", None) or getattr(metric, "__name__", None)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    metric.name = name
    return metric
