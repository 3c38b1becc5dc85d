"""Symbolic tensors: the `x` in `x = Input(shape=(784,)); y = Dense(10)(x)`.

A KerasTensor is only a shape, a dtype and a record of which layer call produced it
(`_keras_history = (layer, node_index, tensor_index)`). Calling a layer on KerasTensors computes
nothing: the output shape comes from running the layer on PyTorch's `meta` device (see
`Layer.compute_output_spec`), and the call is recorded as a `Node` of the graph.
"""

import torch

from lamina import config
from lamina.registry.export import keras_export
from lamina.utils import naming
from lamina.utils.strings import is_string_dtype

_NO_VALUE = ("A KerasTensor is symbolic: it stands for the shape and dtype of data that does "
             "not exist yet, so it cannot be converted to {}. Compute with it through layers "
             "and `keras.ops` (the model computes the values when it is called on data).")

# Unknown dimensions (None) are replaced by these sizes when a layer runs on the meta device.
# Two different sizes: a dimension of the result that changes between the runs depends on an
# unknown input dimension and is therefore unknown (None) too.
STAND_IN_SIZES = (7, 11)


@keras_export("KerasTensor")
class KerasTensor:
    def __init__(self, shape, dtype=None, name=None, keras_history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = "string" if is_string_dtype(dtype) else config.dtype_name(dtype)
        self.name = name or naming.unique_name("keras_tensor")  # (Keras's auto names)
        self._keras_history = keras_history

    @property
    def _torch_dtype(self):
        cached = self.__dict__.get("_cached_torch_dtype")
        if cached is None or cached[0] != self.dtype:  # (read on every model call: cache it)
            cached = self.__dict__["_cached_torch_dtype"] = (self.dtype, config.to_torch_dtype(self.dtype))
        return cached[1]

    @property
    def ndim(self):
        return len(self.shape)

    def to_meta(self, stand_in):
        shape = [stand_in if d is None else d for d in self.shape]
        return torch.empty(shape, dtype=config.to_torch_dtype(self.dtype), device="meta")

    def __repr__(self):
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{name}>"

    def __len__(self):
        raise TypeError(
            "A symbolic tensor has no length: it stands for data that does not exist yet. "
            "Use `x.shape[0]` (which may be None) instead."
        )

    def __bool__(self):
        raise TypeError(
            "A symbolic tensor cannot be used as a Python bool (e.g. in `if x:`): its value is "
            "unknown until the model runs. Put the condition inside a layer's call()."
        )

    def __iter__(self):
        raise TypeError("A symbolic tensor cannot be iterated. Index it instead, e.g. `x[:, 0]`.")

    # Arithmetic on symbolic tensors records an operation node, as in Keras (`x + y` is `Add`).
    def _op(self, name, *args):
        from lamina import ops

        return getattr(ops, name)(*args)

    def __add__(self, other):
        return self._op("add", self, other)

    def __radd__(self, other):
        return self._op("add", other, self)

    def __sub__(self, other):
        return self._op("subtract", self, other)

    def __rsub__(self, other):
        return self._op("subtract", other, self)

    def __mul__(self, other):
        return self._op("multiply", self, other)

    def __rmul__(self, other):
        return self._op("multiply", other, self)

    def __truediv__(self, other):
        return self._op("true_divide", self, other)

    def __rtruediv__(self, other):
        return self._op("true_divide", other, self)

    def __matmul__(self, other):
        return self._op("matmul", self, other)

    def __rmatmul__(self, other):
        return self._op("matmul", other, self)

    def __pow__(self, other):
        return self._op("power", self, other)

    def __neg__(self):
        return self._op("negative", self)

    def __abs__(self):
        return self._op("absolute", self)

    def __getitem__(self, key):
        return self._op("get_item", self, key)

    def __lt__(self, other):
        return self._op("less", self, other)

    def __le__(self, other):
        return self._op("less_equal", self, other)

    def __gt__(self, other):
        return self._op("greater", self, other)

    def __ge__(self, other):
        return self._op("greater_equal", self, other)

    def __ne__(self, other):  # (`inputs != 0`, a padding mask: an op, not Python's identity)
        return self._op("not_equal", self, other)

    def __rpow__(self, other):
        return self._op("power", other, self)

    def __floordiv__(self, other):
        return self._op("floor_divide", self, other)

    def __rfloordiv__(self, other):
        return self._op("floor_divide", other, self)

    def __mod__(self, other):
        return self._op("mod", self, other)

    def __rmod__(self, other):
        return self._op("mod", other, self)

    def __and__(self, other):
        return self._op("logical_and", self, other)

    def __rand__(self, other):
        return self._op("logical_and", other, self)

    def __or__(self, other):
        return self._op("logical_or", self, other)

    def __ror__(self, other):
        return self._op("logical_or", other, self)

    def __xor__(self, other):
        return self._op("logical_xor", self, other)

    def __rxor__(self, other):
        return self._op("logical_xor", other, self)

    def __invert__(self):
        return self._op("logical_not", self)

    def __round__(self, ndigits=None):
        from lamina import ops

        return ops.round(self, decimals=ndigits or 0)

    def reshape(self, newshape):
        return self._op("reshape", self, newshape)

    def squeeze(self, axis=None):
        return self._op("squeeze", self, axis)

    # Dense tensors only (TensorFlow's sparse and ragged tensors have no torch counterpart
    # here), with Keras's attributes saying so.
    sparse = False
    ragged = False
    ragged_rank = None
    row_splits_dtype = None

    # `numpy_array + x`: numpy steps aside, so the symbolic tensor's reflected operator
    # records the op (numpy would otherwise try, and fail, to convert it).
    __array_ufunc__ = None

    def __int__(self):
        raise ValueError(_NO_VALUE.format("an int"))

    def __float__(self):
        raise ValueError(_NO_VALUE.format("a float"))

    def __array__(self, *args, **kwargs):
        raise ValueError(_NO_VALUE.format("a NumPy array"))

    __hash__ = object.__hash__


@keras_export("utils.is_keras_tensor")
def is_keras_tensor(x):
    return isinstance(x, KerasTensor)
