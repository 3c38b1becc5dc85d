"""Keras 2 module path `keras.layers.recurrent`, and the Keras 2 cuDNN layer names.

`CuDNNLSTM` / `CuDNNGRU` were GPU-only layers in Keras 2; lamina's LSTM and GRU already use
PyTorch's fused (cuDNN on GPU) kernels, so these names build the standard layers, with a warning.
"""

import importlib
import warnings
from lamina.registry.export import keras_export
from lamina.utils.arguments import user_stacklevel

_NAMES = {
    "SimpleRNN": "lamina.layers.rnn.simple_rnn", "SimpleRNNCell": "lamina.layers.rnn.simple_rnn",
    "LSTM": "lamina.layers.rnn.lstm", "LSTMCell": "lamina.layers.rnn.lstm",
    "GRU": "lamina.layers.rnn.gru", "GRUCell": "lamina.layers.rnn.gru",
    "RNN": "lamina.layers.rnn.rnn", "StackedRNNCells": "lamina.layers.rnn.stacked_rnn_cells",
}


@keras_export("layers.CuDNNLSTM", package=False)
def CuDNNLSTM(*args, **kwargs):
    warnings.warn("CuDNNLSTM is a Keras 2 layer; use lamina.layers.LSTM (it uses cuDNN on GPUs).",
                  DeprecationWarning, stacklevel=user_stacklevel())
    from lamina.layers.rnn.lstm import LSTM

    return LSTM(*args, **kwargs)


@keras_export("layers.CuDNNGRU", package=False)
def CuDNNGRU(*args, **kwargs):
    warnings.warn("CuDNNGRU is a Keras 2 layer; use lamina.layers.GRU(reset_after=True) (it uses "
                  "cuDNN on GPUs).", DeprecationWarning, stacklevel=user_stacklevel())
    from lamina.layers.rnn.gru import GRU

    return GRU(*args, **kwargs)


def __getattr__(name):
    if name in _NAMES:
        warnings.warn(f"`lamina.layers.recurrent.{name}` is the Keras 2 module path; use "
                      f"`lamina.layers.{name}`.", DeprecationWarning, stacklevel=user_stacklevel())
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'lamina.layers.recurrent' has no attribute '{name}'")
