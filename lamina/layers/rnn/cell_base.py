"""What SimpleRNNCell, LSTMCell and GRUCell share: arguments, weights, dropout masks, config.

A built-in cell splits one step into two halves so that the RNN layer can run the first half for
all timesteps at once:

- `project_inputs(x, training)`: `x @ kernel + input bias` (with input dropout). `x` may be one
  step `(batch, features)` or a whole sequence `(batch, time, features)` — one matmul for all
  timesteps instead of one per step;
- `recurrent_step(projected_t, states, training)`: the part that needs the previous state.

`call(inputs, states)` (the Keras cell API, used by `RNN`, `StackedRNNCells` and user code) is
just the two halves in a row.

Dropout masks follow Keras: a cell draws one input mask and one recurrent mask per sequence and
reuses them at every timestep; the RNN layer clears them when the sequence ends.
"""

import torch

from lamina import activations, constraints, initializers, regularizers
from lamina.layers.layer import Layer
from lamina.layers.weight_memory_order import store_in_memory_order, transposed_order
from lamina.registry.serialization import serialize_keras_object
from lamina.utils.arguments import check_rate, warn_deprecated

# Keras 1/2 spellings of the recurrent arguments -> Keras 3 names.
LEGACY_NAMES = {
    "output_dim": "units",
    "init": "kernel_initializer",
    "inner_init": "recurrent_initializer",
    "inner_activation": "recurrent_activation",
    "W_regularizer": "kernel_regularizer",
    "U_regularizer": "recurrent_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "U_constraint": "recurrent_constraint",
    "b_constraint": "bias_constraint",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
    "forget_bias_init": None,  # Keras 1: replaced by unit_forget_bias; ignored
    "consume_less": None,  # Keras 1 speed hint; ignored
}


def take_legacy_arguments(arguments, kwargs, where):
    """Move Keras 1/2 keywords from `kwargs` into `arguments` (a dict of the modern names)."""
    for old, new in LEGACY_NAMES.items():
        if old not in kwargs or (new is not None and new not in arguments):
            continue
        value = kwargs.pop(old)
        if new is None:
            warn_deprecated(old, f"nothing (`{old}` has no effect in Keras 3)", where, 4)
            continue
        warn_deprecated(old, new, where, 4)
        arguments[new] = value
    kwargs.pop("implementation", None)  # Keras 2 kernel choice; lamina picks the kernel itself
    return arguments


class RecurrentCell(Layer):
    """Base class of the built-in cells; subclasses set `gates` and implement the two halves."""

    gates = 1
    has_recurrent_activation = False
    # The fused kernels read `kernel.t()` and `recurrent_kernel.t()` as they are (LSTM, SimpleRNN;
    # GRU reorders its gates, a copy anyway): store them column by column, so those are plain
    # contiguous weights and their gradients need no copy (see weight_memory_order.py).
    fused_weights_transposed = False

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"{type(self).__name__}() needs `units`, a positive integer. Received: "
                f"units={units!r}"
            )
        # Keras silently clips rates outside [0, 1]; a typo such as dropout=1.5 is an error here.
        dropout = check_rate(dropout, "dropout", f"{type(self).__name__}()")
        recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout",
                                       f"{type(self).__name__}()")
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.seed = seed
        self._generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        self.output_size = units
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    # ------------------------------------------------------------------ weights
    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'Cell "{self.name}" needs a known feature dimension (last axis); got input shape '
                f"{tuple(input_shape)}."
            )
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width), initializer=self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width), initializer=self.recurrent_initializer,
            name="recurrent_kernel", regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.fused_weights_transposed:
            store_in_memory_order(self.kernel, transposed_order())
            store_in_memory_order(self.recurrent_kernel, transposed_order())
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.bias_shape(), initializer=self.bias_initializer_for_build(),
                name="bias", regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        self.built = True

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_initializer_for_build(self):
        return self.bias_initializer

    # ------------------------------------------------------------------ the step
    def call(self, inputs, states, training=False):
        single = not isinstance(states, (list, tuple))
        states = [states] if single else list(states)
        output, new_states = self.recurrent_step(
            self.project_inputs(inputs, training), states, training
        )
        return output, (new_states[0] if single else new_states)

    def project_inputs(self, inputs, training=False):
        raise NotImplementedError

    def recurrent_step(self, projected, states, training=False):
        raise NotImplementedError

    def _dropped_inputs(self, inputs, training):
        if not training or not 0.0 < self.dropout < 1.0:
            return inputs
        step_shape = (inputs.shape[0], inputs.shape[-1])
        mask = self.get_dropout_mask(inputs.new_empty(step_shape))
        return inputs * (mask.unsqueeze(1) if inputs.ndim == 3 else mask)

    def _dropped_state(self, state, training):
        if not training or not 0.0 < self.recurrent_dropout < 1.0:
            return state
        return state * self.get_recurrent_dropout_mask(state)

    # ------------------------------------------------------------------ dropout masks
    def get_dropout_mask(self, step_input):
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._draw_mask(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_state):
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._draw_mask(step_state, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    def _draw_mask(self, like, rate):
        if rate >= 1.0:
            return torch.zeros_like(like)
        if self._generator is not None and like.device.type == "cpu":
            noise = torch.rand(like.shape, generator=self._generator, dtype=like.dtype)
        else:
            noise = torch.rand(like.shape, device=like.device, dtype=like.dtype)
        return (noise >= rate).to(like.dtype) / (1.0 - rate)

    # ------------------------------------------------------------------ states
    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        weight = self.kernel if self.built else None
        kwargs = {"dtype": self._torch_dtype}
        if weight is not None:
            kwargs["device"] = weight.device
        return [torch.zeros((batch_size, size), **kwargs) for size in sizes]

    # ------------------------------------------------------------------ fused kernels
    def torch_rnn_kernel(self):
        """(torch function, weight list in torch layout, has_biases), or None if torch has no
        fused kernel for this configuration. Subclasses override."""
        return None

    # ------------------------------------------------------------------ config
    def get_config(self):
        config = {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
        }
        if self.has_recurrent_activation:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config.update({
            "use_bias": self.use_bias,
            "kernel_initializer": serialize_keras_object(self.kernel_initializer),
            "recurrent_initializer": serialize_keras_object(self.recurrent_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "recurrent_regularizer": serialize_keras_object(self.recurrent_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "recurrent_constraint": serialize_keras_object(self.recurrent_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        })
        return config


def is_activation(function, name):
    """Whether `function` is the built-in activation `name` (fused kernels hard-code them)."""
    return getattr(function, "_keras_package", None) == "activations" and \
        function.__name__ == name
