"""What a layer accepts (rank, fixed axes) and the error a user sees when an input does not fit."""

from lamina.registry.export import keras_export


@keras_export("layers.InputSpec", "InputSpec", package=False)
class InputSpec:
    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None, dtype=None, name=None):
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.max_ndim = max_ndim
        self.axes = dict(axes or {})
        self.dtype = dtype
        self.name = name

    def __repr__(self):
        fields = {k: v for k, v in vars(self).items() if v not in (None, {})}
        return "InputSpec(" + ", ".join(f"{k}={v}" for k, v in fields.items()) + ")"

    def get_config(self):
        return {"ndim": self.ndim, "min_ndim": self.min_ndim, "max_ndim": self.max_ndim,
                "axes": self.axes, "dtype": self.dtype, "name": self.name}


def check_input_shape(spec, shape, layer, index=0):
    """Raise ValueError naming the layer, the expectation and the received shape."""
    rank = len(shape)
    where = f'Input {index} of layer "{layer.name}" is incompatible with the layer'
    if spec.ndim is not None and rank != spec.ndim:
        raise ValueError(
            f"{where}: expected ndim={spec.ndim}, found ndim={rank}. Full shape received: "
            f"{_fmt(shape)}."
        )
    if spec.min_ndim is not None and rank < spec.min_ndim:
        raise ValueError(
            f"{where}: expected min_ndim={spec.min_ndim}, found ndim={rank}. Full shape received: "
            f"{_fmt(shape)}."
        )
    if spec.max_ndim is not None and rank > spec.max_ndim:
        raise ValueError(
            f"{where}: expected max_ndim={spec.max_ndim}, found ndim={rank}. Full shape received: "
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
                f"{where}: expected axis {axis} of input shape to have value {value}, but "
                f"received input with shape {_fmt(shape)}.{hint}"
            )


def _product(dims):
    result = 1
    for d in dims:
        if d is None:
            return None
        result *= d
    return result


def _fmt(shape):
    return str(tuple(None if d is None else int(d) for d in shape))
