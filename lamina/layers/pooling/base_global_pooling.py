"""Global pooling: reduce every spatial axis to one value per channel (max or mean)."""

from lamina import config
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.pooling.base_pooling import pop_legacy_pooling_kwargs


class BaseGlobalPooling(Layer):
    """Subclasses set `rank` and implement `reduce(inputs, axes)`."""

    rank = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        legacy = pop_legacy_pooling_kwargs(kwargs, f"{type(self).__name__}()")
        data_format = legacy.get("data_format", data_format)
        super().__init__(**kwargs)
        self.data_format = config.standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        first = 1 if self.data_format == "channels_last" else 2
        self._axes = tuple(range(first, first + self.rank))
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        last = self.data_format == "channels_last"
        channels = input_shape[-1] if last else input_shape[1]
        if not self.keepdims:
            return (input_shape[0], channels)
        ones = (1,) * self.rank
        return (input_shape[0],) + ones + (channels,) if last else (input_shape[0], channels) + ones

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
