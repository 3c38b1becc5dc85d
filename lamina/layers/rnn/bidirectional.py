"""Bidirectional: run an RNN forwards and a copy of it backwards, and merge the two outputs.

The backward copy has `go_backwards` flipped; its output sequence (which comes out in reverse
time order) is flipped back before merging, so both halves line up per timestep.
"""

import copy

import torch

from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.registry.serialization import deserialize_layer, serialize_keras_object

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


@keras_export("layers.Bidirectional")
class Bidirectional(Layer):
    def __init__(self, layer=None, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(
                "Bidirectional() wraps a recurrent layer instance (LSTM, GRU, SimpleRNN, RNN), "
                f"e.g. Bidirectional(LSTM(32)). Received: layer={layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "Bidirectional(backward_layer=...) must be a recurrent layer instance. "
                f"Received: backward_layer={backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge_mode {merge_mode!r}: expected one of 'concat', 'sum', 'mul', "
                "'ave' or None."
            )
        super().__init__(**kwargs)
        base_name = layer.name.removeprefix("forward_").removeprefix("backward_")
        self.forward_layer = _copy_layer(layer, name=f"forward_{base_name}")
        if backward_layer is None:
            backward_layer = _copy_layer(layer, name=f"backward_{base_name}",
                                         go_backwards=not layer.go_backwards)
        self.backward_layer = backward_layer
        _check_directions(self.forward_layer, self.backward_layer)
        for direction in (self.forward_layer, self.backward_layer):
            if hasattr(direction, "zero_output_for_mask"):
                # Padded steps must not leak one direction's last output into the merge.
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec
        self._initial_weights = list(weights) if weights else None

    def build(self, sequences_shape, initial_state_shape=None):
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction._build_with_shapes(tuple(sequences_shape))
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, mask=mask,
                               training=training)
        y_reversed = self.backward_layer(sequences, initial_state=backward_state, mask=mask,
                                         training=training)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_reversed[1:])
            y, y_reversed = y[0], y_reversed[0]
        if self.return_sequences:
            y_reversed = y_reversed.flip(1)
        if self.merge_mode is None:
            return (y, y_reversed) + states
        output = _merge(self.merge_mode, y, y_reversed)
        return (output,) + states if self.return_state else output

    @property
    def states(self):
        forward, backward = self.forward_layer.states, self.backward_layer.states
        return tuple(forward + backward) if forward and backward else None

    def reset_state(self, states=None):
        if not self.stateful:
            raise AttributeError(
                f'Layer "{self.name}" is not stateful; only a Bidirectional wrapping a '
                "stateful RNN has states to reset."
            )
        if states is None:
            self.forward_layer.reset_state()
            self.backward_layer.reset_state()
            return
        half = len(states) // 2
        self.forward_layer.reset_state(states[:half])
        self.backward_layer.reset_state(states[half:])

    reset_states = reset_state

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shapes = ()
        if self.return_state:
            shape, state_shapes = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            shape = (*shape[:-1], None if shape[-1] is None else 2 * shape[-1])
        outputs = (shape, shape) if self.merge_mode is None else (shape,)
        if not self.return_state and self.merge_mode is not None:
            return shape
        return list(outputs + state_shapes + state_shapes)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            masks += [None] * (2 * len(self.forward_layer.state_size))
        return masks if len(masks) > 1 else masks[0]

    def get_config(self):
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_keras_object(self.forward_layer),
            "backward_layer": serialize_keras_object(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects=custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_layer(config["backward_layer"],
                                                         custom_objects=custom_objects)
        return super().from_config(config)


def _merge(mode, y, y_reversed):
    if mode == "concat":
        return torch.cat([y, y_reversed], dim=-1)
    if mode == "sum":
        return y + y_reversed
    if mode == "ave":
        return (y + y_reversed) / 2
    return y * y_reversed  # "mul"


def _copy_layer(layer, **overrides):
    """A fresh, unbuilt layer with `layer`'s configuration (Keras does the same: the wrapped
    instance is a template; its own weights, if any, are not used)."""
    config = {**layer.get_config(), **overrides}
    try:
        return type(layer).from_config(config)
    except (TypeError, ValueError):  # a user layer whose config does not round-trip
        clone = copy.deepcopy(layer)
        for key, value in overrides.items():
            setattr(clone, key, value)
        return clone


def _check_directions(forward, backward):
    if forward.go_backwards == backward.go_backwards:
        raise ValueError(
            "The forward and backward layers of Bidirectional must run in opposite directions, "
            f"but both have go_backwards={forward.go_backwards}. Pass a backward_layer with "
            "go_backwards=True."
        )
    for attribute in ("stateful", "return_sequences", "return_state"):
        if getattr(forward, attribute) != getattr(backward, attribute):
            raise ValueError(
                f"The forward and backward layers of Bidirectional must agree on `{attribute}`: "
                f"got {getattr(forward, attribute)} (forward) and "
                f"{getattr(backward, attribute)} (backward)."
            )
