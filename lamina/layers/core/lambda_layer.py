"""Lambda: wrap an arbitrary expression as a layer (`Lambda(lambda x: x ** 2)`).

Its config stores the function as Keras does: a registered or module-level function by name,
a lambda as marshalled bytecode. Loading bytecode executes code from the file, so it is refused
in safe mode (the default) with an error that says how to opt out.
"""

import base64
import functools
import inspect
import marshal
import types

import numpy as np
import torch

from lamina.layers.layer import Layer
from lamina.registry import object_registry
from lamina.registry.export import keras_export
from lamina.registry.safe_mode import in_safe_mode
from lamina.utils import tree
from lamina.utils.arguments import check_call_signature


@keras_export("layers.Lambda")
class Lambda(Layer):
    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError("Lambda(): `function` must be a callable, such as lambda x: x * 2. "
                            f"Received: function={function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        # Called with one positional value: the input tensor, or the list/dict of inputs given.
        check_call_signature(functools.partial(function, **self.arguments), (None,), "Lambda()",
                             "function(inputs" + "".join(f", {k}=..." for k in self.arguments)
                             + ") (several inputs arrive as one list: lambda t: t[0] + t[1])")
        self._output_shape = output_shape
        self.mask = mask
        self._function_takes_training = "training" in _parameters(function)
        self._function_takes_mask = "mask" in _parameters(function)
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._function_takes_mask:
            kwargs["mask"] = mask
        if self._function_takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return Layer.compute_output_shape(self, input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = tree.flatten(input_shape)[0] if tree.is_nested(input_shape) else None
        return (batch,) + tuple(self._output_shape)

    def compute_output_spec(self, *args, **kwargs):
        if self._output_shape is None:
            from lamina.layers.layer import _meta_output_spec

            return _meta_output_spec(self, args, kwargs)
        return super().compute_output_spec(*args, **kwargs)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def get_config(self):
        output_shape = self._output_shape
        if callable(output_shape):
            output_shape = _serialize_function(output_shape)
        config = {**super().get_config(), "function": _serialize_function(self.function),
                  "output_shape": output_shape, "arguments": self.arguments}
        if self.mask is not None:  # as Keras: only when given
            config["mask"] = _serialize_function(self.mask) if callable(self.mask) else self.mask
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        config["function"] = _deserialize_function(config["function"], custom_objects, safe_mode)
        for key in ("output_shape", "mask"):
            if isinstance(config.get(key), (dict, str)):
                config[key] = _deserialize_function(config[key], custom_objects, safe_mode)
        return super().from_config(config)


def _parameters(function):
    try:
        return inspect.signature(function).parameters
    except (TypeError, ValueError):
        return {}


def _serialize_function(function):
    name = getattr(function, "__name__", None)
    if name and name != "<lambda>" and getattr(function, "_keras_package", None):
        return name
    if name and name != "<lambda>" and hasattr(function, "__code__"):
        # A named function is saved by name, as Keras saves it ("Custom>name" when registered);
        # loading finds it among the registered objects or `custom_objects`.
        return {"module": "builtins", "class_name": "function",
                "config": object_registry.get_registered_name(function),
                "registered_name": "function"}
    code = base64.b64encode(marshal.dumps(function.__code__)).decode("ascii")
    return {"class_name": "__lambda__", "config": {
        "code": code, "defaults": function.__defaults__, "closure": None}}


def _deserialize_function(spec, custom_objects, safe_mode):
    if isinstance(spec, dict) and spec.get("class_name") == "function":
        spec = spec.get("config")  # a named function, as Keras writes it: found by its name
    if isinstance(spec, str):
        function = object_registry.get_registered_object(spec, custom_objects, "activations")
        if function is None and ">" in spec:  # "Custom>name" given as custom_objects={"name": f}
            function = object_registry.get_registered_object(spec.split(">", 1)[1],
                                                             custom_objects, "activations")
        if function is None:
            raise ValueError(
                f"Lambda layer refers to a function '{spec}' that is not registered. Register it "
                "with @lamina.saving.register_keras_serializable() or pass custom_objects={...}."
            )
        return function
    if isinstance(spec, dict) and spec.get("class_name") == "__lambda__":
        unsafe_allowed = safe_mode is False or (safe_mode is None and not in_safe_mode())
        if not unsafe_allowed:
            raise ValueError(
                "Refusing to load a Lambda layer whose function is stored as Python bytecode: "
                "loading it would execute code from the file. If you trust the file, load it with "
                "`safe_mode=False` (or call lamina.config.enable_unsafe_deserialization())."
            )
        code = marshal.loads(base64.b64decode(spec["config"]["code"]))
        defaults = spec["config"].get("defaults")
        return types.FunctionType(code, _lambda_globals(custom_objects), code.co_name,
                                  tuple(defaults) if defaults else None)
    raise ValueError(f"Cannot deserialize the Lambda layer's function from {spec!r}.")


def _lambda_globals(custom_objects):
    """The names a saved lambda may use: the usual imports of Keras programs (`keras`, `ops`,
    `K`, `np`, `layers`) and the given `custom_objects`."""
    import lamina
    from lamina import backend, layers, ops

    names = {"__builtins__": __builtins__, "keras": lamina, "lamina": lamina, "ops": ops,
             "K": backend, "np": np, "numpy": np, "layers": layers, "torch": torch}
    names.update(custom_objects or {})
    return names
