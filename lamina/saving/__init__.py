from lamina.saving.object_registry import CustomObjectScope as CustomObjectScope
from lamina.saving.object_registry import custom_object_scope as custom_object_scope
from lamina.saving.object_registry import get_custom_objects as get_custom_objects
from lamina.saving.object_registry import get_registered_name as get_registered_name
from lamina.saving.object_registry import get_registered_object as get_registered_object
from lamina.saving.object_registry import (
    register_keras_serializable as register_keras_serializable,
)
from lamina.saving.serialization import deserialize_public as deserialize_keras_object
from lamina.saving.serialization import serialize_keras_object as serialize_keras_object
from lamina.saving.saving_api import load_model as load_model
from lamina.saving.saving_api import load_weights as load_weights
from lamina.saving.saving_api import save_model as save_model
from lamina.saving.saving_api import save_weights as save_weights
