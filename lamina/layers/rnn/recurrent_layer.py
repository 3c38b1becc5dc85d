"""What SimpleRNN, LSTM and GRU share: an RNN that owns one built-in cell and shows its arguments.

The layer's config is the cell's arguments plus the RNN's (no nested "cell" entry), and the
cell's arguments read as layer attributes (`lstm.units`, `lstm.dropout`), as in Keras.
"""

from lamina.layers.input_spec import InputSpec
from lamina.layers.rnn.cell_base import take_legacy_arguments
from lamina.layers.rnn.rnn import RNN
from lamina.registry.serialization import serialize_keras_object

_CELL_ATTRIBUTES = (
    "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
    "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
    "dropout", "recurrent_dropout", "unit_forget_bias", "reset_after",
)


class RecurrentLayer(RNN):
    cell_class = None  # set by subclasses
    cell_name = None

    def __init__(self, cell_arguments, rnn_arguments, kwargs):
        where = f"{type(self).__name__}()"
        take_legacy_arguments(cell_arguments, kwargs, where)
        use_cudnn = kwargs.pop("use_cudnn", "auto")
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                f"{where}: `use_cudnn` must be 'auto', True or False. Received: "
                f"use_cudnn={use_cudnn!r}"
            )
        cell = self.cell_class(
            **cell_arguments, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name=self.cell_name,
        )
        super().__init__(cell, **rnn_arguments, **kwargs)
        self.use_cudnn = use_cudnn
        self.input_spec = InputSpec(ndim=3)

    def build(self, sequences_shape, initial_state_shape=None):
        super().build(sequences_shape, initial_state_shape)
        self.input_spec = InputSpec(ndim=3, axes={-1: sequences_shape[-1]})

    def _fused_kernel(self, mask, training):
        if self.use_cudnn is False:
            return None
        return super()._fused_kernel(mask, training)

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        return {**config, **cell_config,
                "activity_regularizer": serialize_keras_object(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config.pop("cell", None)
        return super().from_config(config)


def _delegate(name):
    return property(lambda self: getattr(self.cell, name))


for _name in _CELL_ATTRIBUTES:
    setattr(RecurrentLayer, _name, _delegate(_name))
