"""`Input(shape=...)`: where a functional model's graph starts."""

from lamina import config
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.symbolic.node import Node
from lamina.utils.arguments import check_integer, check_kwargs, warn_deprecated
from lamina.utils.strings import is_string_dtype


@keras_export("layers.InputLayer")
class InputLayer(Layer):
    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, ragged=None, **kwargs):
        if "input_shape" in kwargs:  # Keras 2 config spelling
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        check_kwargs(kwargs, set(), "InputLayer()")
        if name is not None and (not isinstance(name, str) or "/" in name):
            # "/" separates the parts of a weight's path (model/layer/kernel).
            raise ValueError("Input(): `name` must be a string without '/'. "
                             f"Received: name={name!r}")
        if shape is not None and batch_shape is not None:
            raise ValueError("Input(): pass either `shape` (without the batch axis) or "
                             "`batch_shape` (with it), not both. Received: "
                             f"shape={shape!r}, batch_shape={batch_shape!r}")
        check_integer(batch_size, "batch_size", "Input()", optional=True)
        text = is_string_dtype(dtype)
        super().__init__(name=name, dtype=None if text else dtype)
        if text:
            self.dtype = "string"  # text inputs stay numpy arrays of str (torch has no strings)
        if sparse:
            raise ValueError("Sparse inputs are not supported by lamina yet; pass dense arrays.")
        if batch_shape is None:
            if shape is None:
                raise ValueError(
                    "Input() needs a shape: pass `shape=(features,)` (without the batch size), "
                    "or `batch_shape=(batch, features)`."
                )
            if isinstance(shape, str) or not isinstance(shape, (int, tuple, list)):
                raise ValueError(f"Input(): `shape` must be a tuple of integers (the batch axis "
                                 f"left out), such as (28, 28, 1). Received: shape={shape!r}")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        if any(d is not None and (isinstance(d, bool) or not isinstance(d, int)) for d in
               batch_shape):
            raise ValueError(f"Input(): every dimension of `shape` must be an integer or None. "
                             f"Received: shape={tuple(batch_shape[1:])!r}")
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        for d in self.batch_shape:
            if d is not None and d <= 0:
                raise ValueError("Input(): every dimension of `shape` must be a positive integer "
                                 f"or None. Received: shape={self.batch_shape[1:]!r} (batch "
                                 f"shape {self.batch_shape!r})")
        self.optional = optional
        self.built = True
        self.__dict__["_path"] = None  # (never built: no path, as in Keras)
        tensor = KerasTensor(self.batch_shape, self.dtype, name=self.name)
        Node(self, (), {}, tensor)
        self.output_tensor = tensor

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "sparse": False,
                "ragged": False, "name": self.name, "optional": self.optional}

    @classmethod
    def from_config(cls, config_dict):
        config_dict = dict(config_dict)
        if isinstance(config_dict.get("dtype"), dict):
            config_dict["dtype"] = config_dict["dtype"].get("config", {}).get("name")
        return cls(**config_dict)


@keras_export("layers.Input", "Input", package=False)
def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False, ragged=None, **kwargs):
    """A symbolic input: `x = Input(shape=(784,))` stands for a batch of 784-feature rows."""
    if "batch_input_shape" in kwargs:
        warn_deprecated("batch_input_shape=", "batch_shape=", "Input()")
        batch_shape = kwargs.pop("batch_input_shape")
    check_kwargs(kwargs, {"shape", "batch_size", "dtype", "sparse", "batch_shape", "name",
                          "tensor", "optional", "ragged"}, "Input()")
    if tensor is not None:
        raise ValueError("Input(tensor=...) is not supported; pass `shape=` instead.")
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype or config.floatx(),
                       sparse=sparse, batch_shape=batch_shape, name=name, optional=optional)
    return layer.output_tensor
