"""Cropping1D/2D/3D: remove rows/columns/planes from the edges of the spatial axes.

`cropping` gives a `(before, after)` amount per spatial axis (an int means the same everywhere).
The result is a view of the input (slicing copies nothing).
"""

from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.reshaping import spatial_arguments as args
from lamina.registry.export import keras_export


class _Cropping(Layer):
    _rank = None

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = f"{type(self).__name__}()"
        self.cropping = args.amount_pairs(cropping, self._rank, "cropping", where)
        self.data_format = args.data_format_or_default(data_format)
        self._axes = args.spatial_axes(self._rank, self.data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)
        self.built = True

    def call(self, inputs):
        index = [slice(None)] * inputs.ndim
        for axis, (before, after) in zip(self._axes, self.cropping):
            if before + after >= inputs.shape[axis]:
                self.compute_output_shape(tuple(inputs.shape))  # raises the readable error
            index[axis] = slice(before, inputs.shape[axis] - after)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        output = list(input_shape)
        for axis, (before, after) in zip(self._axes, self.cropping):
            if output[axis] is None:
                continue
            output[axis] -= before + after
            if output[axis] <= 0:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}) cannot crop {before + after} '
                    f"from axis {axis} of an input of shape {tuple(input_shape)}: the cropping "
                    f"must leave at least one element. Received: cropping={self._config_cropping()}"
                )
        return tuple(output)

    def _config_cropping(self):
        return self.cropping

    def get_config(self):
        return {**super().get_config(), "cropping": self._config_cropping(),
                "data_format": self.data_format}


@keras_export("layers.Cropping1D")
class Cropping1D(_Cropping):
    """Crop `(before, after)` steps from axis 1 of `(batch, steps, features)`."""

    _rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        # Keras's Cropping1D has no data_format: the steps are always axis 1.
        super().__init__(cropping, data_format="channels_last", **kwargs)

    def _config_cropping(self):
        return self.cropping[0]

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")
        return config


@keras_export("layers.Cropping2D")
class Cropping2D(_Cropping):
    _rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


@keras_export("layers.Cropping3D")
class Cropping3D(_Cropping):
    _rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)
