"""What a layer accepts (rank, fixed axes) and the error a user sees when an input does not fit."""

from lamina.registry.export import keras_export


@keras_export("layers.InputSpec", "InputSpec", package=False)
class InputSpec:
    """What a layer accepts; checked on the first argument of each call.

    Args (Keras 3's, in its order):
        dtype: expected dtype (kept for reference; lamina casts float inputs to the layer's dtype).
        shape: the full expected shape, batch axis included; `None` matches any size. Sets
            `ndim` to its length.
        ndim, max_ndim, min_ndim: expected, largest and smallest rank.
        axes: `{axis: size}` for axes whose size is fixed.
        allow_last_axis_squeeze: also accept a rank one higher whose last axis is 1, or one
            lower when the spec's last axis is 1 (`shape=(None, 28, 28, 1)` takes `(b, 28, 28)`).
        name: the key of this input when a dict of inputs is passed.
        optional: whether the input may be None.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        if shape is not None:
            self.shape = tuple(None if d is None else int(d) for d in shape)
            self.ndim = len(self.shape)
        else:
            self.shape = None
            self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        try:
            self.axes = {int(k): v for k, v in (axes or {}).items()}
        except (AttributeError, TypeError, ValueError):
            raise TypeError(
                f"InputSpec(axes=...) must be a dict with integer keys, such as {{-1: 64}}; "
                f"received axes={axes!r}."
            ) from None
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self):
        fields = [(k, getattr(self, k)) for k in ("dtype", "shape", "ndim", "max_ndim",
                                                   "min_ndim", "axes")]
        return "InputSpec(" + ", ".join(f"{k}={v}" for k, v in fields if v) + ")"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes,
                "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def check_input_shape(spec, shape, layer, index=0):
    """Raise ValueError naming the layer, the expectation and the received shape."""
    rank = len(shape)
    if spec.ndim is not None and rank != spec.ndim and not spec.allow_last_axis_squeeze:
        raise ValueError(
            f"{_where(layer, index)}: expected ndim={spec.ndim}, found ndim={rank}. "
            "Full shape received: "
            f"{_fmt(shape)}.{_batch_axis_hint(shape, spec.ndim)}"
        )
    if spec.min_ndim is not None and rank < spec.min_ndim:
        raise ValueError(
            f"{_where(layer, index)}: expected min_ndim={spec.min_ndim}, found ndim={rank}. "
            "Full shape received: "
            f"{_fmt(shape)}."
        )
    if spec.max_ndim is not None and rank > spec.max_ndim:
        raise ValueError(
            f"{_where(layer, index)}: expected max_ndim={spec.max_ndim}, found ndim={rank}. "
            "Full shape received: "
            f"{_fmt(shape)}."
        )
    for axis, value in spec.axes.items():
        if value is None or -rank > axis or axis >= rank:
            continue
        received = shape[axis]
        if received is not None and received != value:
            hint = ""
            if axis == -1 and rank > 2:
                flat = _product(shape[1:])
                if flat == value:
                    hint = " Add a Flatten layer before it."
            raise ValueError(
                f"{_where(layer, index)}: expected axis {axis} of input shape to have value "
                f"{value}, but "
                f"received input with shape {_fmt(shape)}.{hint}"
            )
    if spec.shape is not None:
        _check_full_shape(spec, tuple(shape), layer, index)


def _where(layer, index):
    # Built only when raising: a compiled step would otherwise read (and guard on) the layer's
    # name, and recompile for every new model whose layers are named dense_1, dense_2, ...
    return f'Input {index} of layer "{layer.name}" is incompatible with the layer'


def _check_full_shape(spec, shape, layer, index):
    expected, received = spec.shape, shape
    if spec.allow_last_axis_squeeze:  # compare without a trailing axis of size 1 on either side
        received = received[:-1] if received and received[-1] == 1 else received
        expected = expected[:-1] if expected and expected[-1] == 1 else expected
    for want, got in zip(expected, received):
        if want is not None and got is not None and want != got:
            raise ValueError(
                f"{_where(layer, index)}: expected shape={_fmt(spec.shape)}, "
                f"found shape={_fmt(shape)}."
            )


def _batch_axis_hint(shape, expected_ndim):
    """One axis too many: most often `Input(shape=...)` / `input_shape=` given the batch size
    too (`(None, 28, 28, 1)` or `(32, 28, 28, 1)`), which adds its own batch axis in front."""
    if len(shape) != expected_ndim + 1 or len(shape) < 3:
        return ""
    without = _fmt(shape[2:])
    return (f" If you gave `Input(shape=...)` or `input_shape=` with the batch axis included, "
            f"leave the batch axis out: shape={without} (the batch size is never part of it).")


def _product(dims):
    result = 1
    for d in dims:
        if d is None:
            return None
        result *= d
    return result


def _fmt(shape):
    return str(tuple(None if d is None else int(d) for d in shape))
