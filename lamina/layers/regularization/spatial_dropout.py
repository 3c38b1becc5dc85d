"""SpatialDropout1D/2D/3D: Dropout that drops whole feature maps (channels) at once.

Neighbouring steps/pixels of one channel are strongly correlated, so dropping single elements
regularizes little; these layers draw one keep/drop decision per (sample, channel) and broadcast
it over the spatial axes. Training only, like Dropout.
"""

from lamina import config
from lamina.layers.input_spec import InputSpec
from lamina.layers.regularization.dropout import Dropout
from lamina.registry.export import keras_export


class _SpatialDropout(Dropout):
    _rank = None

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = config.standardize_data_format(data_format)
        spatial = (1,) * self._rank
        # Dropout fills the None entries of noise_shape with the input's sizes.
        if self.data_format == "channels_first":
            self.noise_shape = (None, None) + spatial
        else:
            self.noise_shape = (None,) + spatial + (None,)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def get_config(self):
        config_dict = super().get_config()
        config_dict.pop("noise_shape", None)  # derived from data_format, not an argument
        return {**config_dict, "data_format": self.data_format}


@keras_export("layers.SpatialDropout1D")
class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of `(batch, steps, channels)`."""

    _rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self):
        config_dict = super().get_config()
        config_dict.pop("data_format")
        return config_dict


@keras_export("layers.SpatialDropout2D")
class SpatialDropout2D(_SpatialDropout):
    _rank = 2


@keras_export("layers.SpatialDropout3D")
class SpatialDropout3D(_SpatialDropout):
    _rank = 3
