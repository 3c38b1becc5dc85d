"""Metric functions by name, for configs of `MeanMetricWrapper(fn=...)`.

The metrics registry maps names such as "binary_accuracy" to metric *classes* (as Keras's
`metrics.get` does), so a wrapped function's name is looked up here instead: the accuracy
functions, then the loss functions, then user-registered objects.
"""

from lamina.metrics import accuracy, correlation, regression
from lamina.registry import object_registry
from lamina.registry.serialization import deserialize_keras_object

METRIC_FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        accuracy.accuracy, accuracy.binary_accuracy, accuracy.categorical_accuracy,
        accuracy.sparse_categorical_accuracy, accuracy.top_k_categorical_accuracy,
        accuracy.sparse_top_k_categorical_accuracy, regression.cosine_similarity,
        correlation.pearson_correlation, correlation.concordance_correlation,
    )
}


def function_by_name(identifier):
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":
        identifier = identifier.get("config")  # Keras's form of a function: its name inside
    if isinstance(identifier, dict):
        return deserialize_keras_object(identifier, package="metrics", what="metric function")
    custom = object_registry.get_registered_object(identifier)
    if custom is not None:
        return custom
    if identifier in METRIC_FUNCTIONS:
        return METRIC_FUNCTIONS[identifier]
    return deserialize_keras_object(identifier, package="losses", what="metric function")
