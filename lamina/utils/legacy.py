"""`lamina.utils.legacy`: Keras 2's single-object config format (see `lamina.legacy.saving`)."""

from lamina.legacy.saving import deserialize_keras_object as deserialize_keras_object
from lamina.legacy.saving import serialize_keras_object as serialize_keras_object
