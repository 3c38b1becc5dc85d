"""Sequential: a plain stack of layers, each feeding the next.

When the input shape is known (an `Input`, or `input_shape=` on the first layer) every `add()`
immediately calls the new layer on the previous symbolic output, so weights exist and
`output_shape` / `summary()` work before any data. Otherwise the stack is built on the first
call with real data. Running it is a loop over the layers: nothing else on the hot path.
"""

import torch

from lamina.layers.core.input_layer import Input, InputLayer
from lamina.layers.layer import Layer, name_scope
from lamina.models.functional import as_input_tensor
from lamina.models.model import Model
from lamina.registry.export import keras_export
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.utils.strings import is_string_data


@keras_export("models.Sequential", "Sequential")
class Sequential(Model):
    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack = []
        self._input_tensor = None
        self._output_tensor = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer, rebuild=True):
        if isinstance(layer, KerasTensor) and isinstance(layer._keras_history[0], InputLayer):
            layer = layer._keras_history[0]
        if isinstance(layer, InputLayer):
            if self._stack or self._input_tensor is not None:
                raise ValueError(
                    "An Input can only be the first thing added to a Sequential model; this one "
                    "already has layers or an input."
                )
            self._input_tensor = layer.output_tensor
            self._output_tensor = self._input_tensor
            self._input_layer = layer
            self._build_shapes = layer.batch_shape
            self.built = True
            return
        if isinstance(layer, torch.nn.Module) and not isinstance(layer, Layer):
            from lamina.layers.core.torch_module_wrapper import TorchModuleWrapper

            layer = TorchModuleWrapper(layer)  # a bare torch module is a layer too
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add() takes a layer (a lamina layer or a torch.nn.Module); received "
                f"{layer!r} of type {type(layer).__name__}."
            )
        if any(existing is layer for existing in self._stack):
            raise ValueError(f'Layer "{layer.name}" is already in this Sequential model.')
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f'All layers added to a Sequential model should have unique names. Name '
                f'"{layer.name}" is already the name of a layer in this model. Pass `name=` to '
                "the new layer."
            )
        if not self._stack and self._input_tensor is None:
            if layer._batch_input_shape is not None:
                self.add(Input(batch_shape=layer._batch_input_shape, dtype=_input_dtype(layer)))
            elif (model_input := _single_model_input(layer)) is not None:
                # A model with its own Input first (a pretrained base): the stack takes that
                # input's shape, so it is built at once, as in Keras.
                self.add(Input(batch_shape=tuple(model_input.shape), dtype=model_input.dtype))
        self._stack.append(layer)
        self._track_layer(layer)
        if self._output_tensor is not None:
            with name_scope(self):  # weights named `sequential/dense/kernel`, as in Keras
                self._output_tensor = layer(self._output_tensor)

    def pop(self, rebuild=True):
        if not self._stack:
            raise ValueError("There are no layers in this Sequential model to pop.")
        layer = self._stack.pop()
        del self._modules[str(len(self._positional_layers()) - 1)]  # (the last one added)
        if self._input_tensor is not None:
            self._rebuild_symbolic()
        return layer

    def _rebuild_symbolic(self):
        tensor = self._input_tensor
        with name_scope(self):
            for layer in self._stack:
                tensor = layer(tensor)
        self._output_tensor = tensor

    @property
    def layers(self):
        return list(self._stack)

    def build(self, input_shape=None):
        if self._input_tensor is not None:
            return
        if input_shape is None:
            raise ValueError("Sequential.build() needs an input shape, e.g. build((None, 8)).")
        if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, (tuple, list)) or (
                any(d is not None and (isinstance(d, bool) or not isinstance(d, int))
                    for d in input_shape)):
            raise TypeError("Sequential.build(): `input_shape` must be a tuple of integers or "
                            "None, batch axis first, e.g. build((None, 8)). Received: "
                            f"input_shape={input_shape!r}")
        dtype = _input_dtype(self._stack[0]) if self._stack else None
        self._start_from(Input(batch_shape=tuple(input_shape), dtype=dtype))

    def _call_pipeline(self, *args, **kwargs):
        if not self._stack:
            raise ValueError(f'Sequential model "{self.name}" has no layers, so it cannot be '
                             "called or built: add layers first, e.g. model.add(Dense(8)).")
        if self._input_tensor is None and args and not isinstance(args[0], KerasTensor):
            self._build_from_data(args[0])
        return super()._call_pipeline(*args, **kwargs)

    def _build_from_data(self, x):
        import numpy as np
        import torch

        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else np.shape(x)
        if is_string_data(x):
            dtype = "string"
        else:
            kind = x.dtype.is_floating_point if isinstance(x, torch.Tensor) else (
                np.asarray(x).dtype.kind == "f")
            # Integer data stays integers only for a first layer that takes ids (Embedding, the
            # lookup and encoding layers); anything else computes in floats, as in Keras.
            dtype = None if kind or not self._stack else _input_dtype(self._stack[0])
        self._start_from(Input(batch_shape=(None,) + tuple(shape[1:]), dtype=dtype))
        device = x.device if isinstance(x, torch.Tensor) else None
        if device is not None and device.type not in ("cpu", "meta"):  # (meta: shape inference)
            self.to(device)

    def _start_from(self, input_tensor):
        """Give a stack that already has layers its input (add() takes an Input only first)."""
        self._input_tensor = input_tensor
        self._input_layer = input_tensor._keras_history[0]
        self._rebuild_symbolic()
        self._build_shapes = input_tensor.shape
        self.built = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
        if self._input_tensor is not None and not isinstance(x, (list, tuple, dict)):
            x = as_input_tensor(x, self._input_tensor)  # dtype and rank, as a functional model
        for layer in self._stack:
            x = layer(x)
        return x

    def _on_dtype_change(self, old, new):
        from lamina.models.functional import _convert_input_dtypes

        super()._on_dtype_change(old, new)
        if self._input_tensor is not None:
            _convert_input_dtypes([self._input_tensor], old, new)

    def compute_output_spec(self, *args, **kwargs):
        from lamina.layers.layer import _meta_output_spec

        return _meta_output_spec(self, args, kwargs)

    @property
    def inputs(self):
        return [self._input_tensor] if self._input_tensor is not None else None

    @property
    def outputs(self):
        return [self._output_tensor] if self._output_tensor is not None else None

    @property
    def input_shape(self):
        if self._input_tensor is None:
            raise AttributeError(
                f'Sequential model "{self.name}" has no input shape yet. Start it with '
                "`lamina.Input(shape=...)` or call it on data."
            )
        return self._input_tensor.shape

    @property
    def output_shape(self):
        if self._output_tensor is None:
            raise AttributeError(
                f'Sequential model "{self.name}" has no known output shape yet. Start it with '
                "`lamina.Input(shape=...)` or call it on data."
            )
        return self._output_tensor.shape

    @property
    def input(self):
        return self._input_tensor

    @property
    def output(self):
        return self._output_tensor

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else []

    @property
    def input_names(self):
        return [self._input_layer.name] if self._input_tensor is not None else []

    def get_config(self):
        from lamina.registry.serialization import serialize_layer

        layers = []
        if self._input_tensor is not None:
            layers.append(serialize_layer(self._input_layer))
        layers += [serialize_layer(layer) for layer in self._stack]
        config = {"name": self.name, "trainable": self.trainable, "dtype": _dtype_policy(self.dtype),
                  "layers": layers}
        if self._input_tensor is not None:
            config["build_input_shape"] = list(self._input_tensor.shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from lamina.registry.serialization import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            model.add(deserialize_layer(layer_config, custom_objects))
        if model._input_tensor is None and config.get("build_input_shape"):
            model.build(tuple(config["build_input_shape"]))
        return model


def _input_dtype(layer):
    """The dtype of a Sequential's input when its first layer is `layer`: ids for layers that
    take integers, else floats (None = floatx)."""
    from lamina.layers.core.embedding import Embedding

    takes_ids = isinstance(layer, Embedding) or getattr(layer, "_accepts_integers", False)
    return "int64" if takes_ids else None


def _dtype_policy(name):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
            "registered_name": None}


def _single_model_input(layer):
    """The one symbolic input of a model that has one (None for layers and other models)."""
    from lamina.models.model import Model

    if not isinstance(layer, Model):
        return None
    inputs = getattr(layer, "inputs", None)
    return inputs[0] if isinstance(inputs, list) and len(inputs) == 1 else None
