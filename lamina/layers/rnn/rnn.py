"""RNN: runs a cell over the time axis of `(batch, time, features)` inputs.

Three ways to run, same numbers (tests check it):

1. torch's fused kernels (cuDNN on CUDA) for the built-in cells when the configuration allows:
   default activations, no recurrent dropout while training, GRU `reset_after=True`, no mask or a
   right-padded one (not combined with `go_backwards`), `unroll=False`;
2. otherwise, for the built-in cells, an explicit loop whose input projections for all timesteps
   are one matmul before the loop;
3. any other cell (user-defined Keras-style cells with `state_size` and `call(inputs, states)`,
   `StackedRNNCells`): the cell is called once per timestep.

Masks follow Keras: a masked timestep leaves the states unchanged and repeats the previous output.
"""

import torch

from lamina.layers.layer import Layer, inferring_shapes
from lamina.layers.rnn import fused, time_loop
from lamina.layers.rnn.cell_base import RecurrentCell
from lamina.layers.rnn.stacked_rnn_cells import StackedRNNCells
from lamina.registry.export import keras_export
from lamina.registry.serialization import deserialize_keras_object, serialize_keras_object
from lamina.symbolic import keras_tensor as kt
from lamina.utils import tree
from lamina.utils.arguments import warn_deprecated


@keras_export("layers.RNN")
class RNN(Layer):
    def __init__(self, cell=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        _check_cell(cell)
        _take_keras2_input_length(kwargs, type(self).__name__)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self._states = None  # the carried states of a stateful RNN (detached tensors)

    @property
    def state_size(self):
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    # ------------------------------------------------------------------ building
    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) < 3:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expects sequences of shape '
                f"(batch, timesteps, features), but received input with shape "
                f"{tuple(sequences_shape)}. Reshape the input or add an Input(shape=(timesteps, "
                "features))."
            )
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build_with_shapes(step_shape)
        self.built = True

    def build_from_config(self, build_config):
        shapes = (build_config or {}).get("shapes_dict")
        if shapes:  # Keras writes this form when the layer was called with initial_state
            build_config = {"input_shape": shapes.get("sequences_shape")}
        super().build_from_config(build_config)

    # ------------------------------------------------------------------ the call
    def call(self, sequences, initial_state=None, mask=None, training=False):
        states = self._initial_states(sequences, initial_state)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None and (not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool):
            mask = torch.as_tensor(mask, device=sequences.device).bool()
        try:
            last_output, outputs, states = self._run(sequences, states, mask, training)
        finally:
            self._reset_dropout_masks(self.cell)
        if self.stateful and not inferring_shapes(sequences):
            self._states = tree.map_structure(lambda s: s.detach(), states)
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return (output, *states)
        return output

    def _run(self, sequences, states, mask, training):
        cell = self.cell
        if _is_builtin(cell):
            kernel = self._fused_kernel(mask, training)
            if kernel is not None:
                lengths = None
                if mask is not None:
                    lengths, nothing_masked = fused.right_padded_lengths(mask)
                    if nothing_masked:
                        mask, lengths = None, None
                if mask is None or lengths is not None:
                    return self._run_fused(kernel, sequences, states, mask, lengths, training)
            projected = cell.project_inputs(sequences, training)
            step = lambda x, s: cell.recurrent_step(x, s, training)  # noqa: E731
            return self._loop(step, projected, states, mask)
        return self._loop(self._generic_step(training), sequences, states, mask)

    def _fused_kernel(self, mask, training):
        cell = self.cell
        if self.unroll or (mask is not None and self.go_backwards):
            return None
        if training and cell.recurrent_dropout > 0:
            return None
        return cell.torch_rnn_kernel()

    def _run_fused(self, kernel, sequences, states, mask, lengths, training):
        inputs = self.cell._dropped_inputs(sequences, training)
        if self.go_backwards:
            inputs = inputs.flip(1)
        # With a right-padded mask, the steps after each sample's end cannot change its earlier
        # outputs, so the padded batch can run as is and the last real output be picked out.
        # Only an LSTM's final carry c is lost that way; packing (much slower to differentiate
        # on CPU) is reserved for when that carry is returned or kept.
        pack = lengths is not None and len(states) > 1 and (self.return_state or self.stateful)
        outputs, finals = fused.run_fused(kernel, inputs, states, lengths if pack else None)
        if mask is not None:
            if not pack:
                last_step = mask.sum(dim=1) - 1
                last = outputs[torch.arange(outputs.shape[0], device=outputs.device), last_step]
                finals = [last] + finals[1:]  # an LSTM's c is unused here (see above)
            fill = torch.zeros_like(finals[0]) if self.zero_output_for_mask else finals[0]
            # Keras repeats the last real output at padded steps (or puts zeros there).
            outputs = torch.where(mask.unsqueeze(-1), outputs, fill.unsqueeze(1))
        return outputs[:, -1], outputs, finals

    def _loop(self, step, sequences, states, mask):
        return time_loop.run_time_loop(
            step, sequences, states, mask=mask, go_backwards=self.go_backwards,
            return_sequences=self.return_sequences, zero_output_for_mask=self.zero_output_for_mask,
        )

    def _generic_step(self, training):
        cell = self.cell
        call = cell if isinstance(cell, Layer) else cell.call
        kwargs = {"training": training} if isinstance(cell, Layer) else {}

        def step(inputs, states):
            output, new_states = call(inputs, states, **kwargs)
            if not tree.is_nested(new_states):
                new_states = [new_states]
            return output, list(new_states)

        return step

    def _reset_dropout_masks(self, cell):
        for inner in getattr(cell, "cells", [cell]):
            if isinstance(inner, RecurrentCell):
                inner.reset_dropout_mask()
                inner.reset_recurrent_dropout_mask()

    # ------------------------------------------------------------------ states
    def _initial_states(self, sequences, initial_state):
        batch_size = sequences.shape[0]
        if initial_state is not None:
            return self._given_states(sequences, initial_state)
        if self.stateful and self._states is not None and not inferring_shapes(sequences):
            carried = tree.flatten(self._states)[0]
            if carried.shape[0] != batch_size:
                raise ValueError(
                    f'Layer "{self.name}" is stateful and was first called with batch size '
                    f"{carried.shape[0]}, but now received batch size {batch_size}. A stateful "
                    "RNN needs the same batch size on every call (use Input(batch_shape=...) "
                    "and pass the same batch_size to fit()), or call reset_states() first."
                )
            if carried.device != sequences.device:
                self._states = tree.map_structure(lambda s: s.to(sequences.device), self._states)
            return list(self._states)
        return self.get_initial_state(batch_size, like=sequences)

    def get_initial_state(self, batch_size, like=None):
        """Zero states (or the cell's own `get_initial_state`) for `batch_size` samples."""
        get_own = getattr(self.cell, "get_initial_state", None)
        if get_own is not None and not _is_builtin(self.cell) and \
                not isinstance(self.cell, StackedRNNCells):
            states = get_own(batch_size=batch_size)
            states = list(states) if tree.is_nested(states) else [states]
            if like is not None:
                states = tree.map_structure(
                    lambda s: torch.as_tensor(s, dtype=like.dtype, device=like.device), states
                )
            return states
        options = {"dtype": self._torch_dtype} if like is None else \
            {"dtype": like.dtype, "device": like.device}
        return _map_sizes(lambda size: torch.zeros((batch_size, size), **options), self.state_size)

    def _given_states(self, sequences, initial_state):
        template = _map_sizes(lambda size: size, self.state_size)
        given = tree.flatten(initial_state)
        expected = len(tree.flatten(template))
        if len(given) != expected:
            raise ValueError(
                f'Layer "{self.name}" has {expected} state tensor(s) (state_size='
                f"{self.cell.state_size}), but initial_state has {len(given)}. Pass one tensor "
                "of shape (batch, size) per state, e.g. [h, c] for an LSTM."
            )
        given = [torch.as_tensor(s, dtype=sequences.dtype, device=sequences.device) for s in given]
        return list(tree.pack_sequence_as(template, given))

    @property
    def states(self):
        return None if self._states is None else list(self._states)

    def reset_state(self, states=None):
        """Zero the carried states of a stateful RNN, or set them to `states` (arrays)."""
        if not self.stateful:
            return
        if states is None:
            if self._states is not None:
                self._states = tree.map_structure(torch.zeros_like, self._states)
            return
        like = self._states and tree.flatten(self._states)[0]
        dtype = like.dtype if like is not None else self._torch_dtype
        device = like.device if like is not None else None
        values = [torch.as_tensor(s, dtype=dtype, device=device) for s in tree.flatten(states)]
        template = _map_sizes(lambda size: size, self.state_size)
        if len(values) != len(tree.flatten(template)):
            raise ValueError(
                f'Layer "{self.name}" has {len(tree.flatten(template))} state tensor(s), but '
                f"reset_state() received {len(values)}."
            )
        self._states = list(tree.pack_sequence_as(template, values))

    reset_states = reset_state

    # ------------------------------------------------------------------ shapes and masks
    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch_size, timesteps = sequences_shape[0], sequences_shape[1]
        output_size = getattr(self.cell, "output_size", None)
        if output_size is None:
            output_size = tree.flatten(self.state_size)[0]
        if self.return_sequences:
            output_shape = (batch_size, timesteps, output_size)
        else:
            output_shape = (batch_size, output_size)
        if not self.return_state:
            return output_shape
        return (output_shape, *_map_sizes(lambda size: (batch_size, size), self.state_size))

    def compute_output_spec(self, sequences, initial_state=None, mask=None, training=None):
        shapes = self.compute_output_shape(sequences.shape)
        if not self.return_state:
            return kt.KerasTensor(shapes, self.dtype)
        return [_shape_structure_to_tensors(s, self.dtype) for s in shapes]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # ------------------------------------------------------------------ config
    def get_config(self):
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize_keras_object(self.cell),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("cell"), dict):
            config["cell"] = deserialize_keras_object(
                config["cell"], package="layers", custom_objects=custom_objects, what="RNN cell"
            )
        return super().from_config(config)


def _is_builtin(cell):
    """Exactly one of lamina's cells (a subclass may change the math, so it takes the generic
    path)."""
    return isinstance(cell, RecurrentCell) and type(cell).__module__.startswith("lamina.layers.rnn")


def _check_cell(cell):
    if cell is None or not callable(getattr(cell, "call", None)):
        raise ValueError(
            "RNN() needs a cell: an object with a `call(inputs, states)` method and a "
            f"`state_size` attribute, e.g. lamina.layers.LSTMCell(32). Received: cell={cell!r}"
        )
    size = getattr(cell, "state_size", None)
    if size is None or not isinstance(size, (int, list, tuple)):
        raise ValueError(
            "The RNN cell needs a `state_size` attribute: an integer, or a list of integers "
            f"(one per state tensor). Received: state_size={size!r} on cell {cell!r}"
        )


def _take_keras2_input_length(kwargs, class_name):
    """Keras 1/2: `LSTM(32, input_dim=8, input_length=10)` means input_shape=(10, 8)."""
    if "input_length" in kwargs or "input_dim" in kwargs:
        length = kwargs.pop("input_length", None)
        dim = kwargs.pop("input_dim", None)
        warn_deprecated("input_dim=/input_length=", "input_shape=(timesteps, features)",
                        f"{class_name}()", 5)
        kwargs["input_shape"] = (length, dim)


def _map_sizes(fn, sizes):
    """Map `fn` over the integers of a (possibly nested) `state_size` list."""
    if isinstance(sizes, int):
        return fn(sizes)
    return [_map_sizes(fn, size) for size in sizes]


def _shape_structure_to_tensors(shapes, dtype):
    if isinstance(shapes, list):  # nested states (StackedRNNCells); a shape is a tuple
        return [_shape_structure_to_tensors(s, dtype) for s in shapes]
    return kt.KerasTensor(shapes, dtype)
