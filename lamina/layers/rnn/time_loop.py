"""The explicit loop over timesteps, with Keras's masking rules.

Used whenever torch's fused kernels cannot express the computation: user-defined cells, stacked
cells, custom activations, recurrent dropout, GRU with `reset_after=False`, left-padded or
irregular masks. Keras's rules for a masked timestep (mask False): the states are carried over
unchanged, and the output repeats the previous output (or is zero with `zero_output_for_mask`).
"""

import torch

from lamina.utils import tree


def run_time_loop(step, sequences, initial_states, mask=None, go_backwards=False,
                  return_sequences=True, zero_output_for_mask=False):
    """Run `step(inputs_t, states) -> (output_t, new_states)` over axis 1 of `sequences`.

    `sequences` may be a tensor `(batch, time, ...)` or a structure of them (projected inputs).
    Returns `(last_output, outputs, final_states)`; `outputs` is `(batch, time, ...)` in the
    order the steps ran (reversed for `go_backwards`, as Keras returns it), or None when
    `return_sequences` is False.
    """
    timesteps = tree.flatten(sequences)[0].shape[1]
    order = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
    states = initial_states
    outputs, output, previous_output = [], None, None
    for t in order:
        inputs_t = tree.map_structure(lambda x: x[:, t], sequences)
        output, new_states = step(inputs_t, states)
        if mask is not None:
            keep = mask[:, t]
            if previous_output is None:
                previous_output = torch.zeros_like(output)
            fallback = torch.zeros_like(output) if zero_output_for_mask else previous_output
            output = torch.where(_expand_like(keep, output), output, fallback)
            new_states = tree.pack_sequence_as(new_states, [
                torch.where(_expand_like(keep, new), new, old)
                for new, old in zip(tree.flatten(new_states), tree.flatten(states))
            ])
            previous_output = output
        states = new_states
        if return_sequences:
            outputs.append(output)
    if output is None:
        raise ValueError(
            "An RNN needs at least one timestep, but received a sequence of length 0 "
            f"(input shape {tuple(tree.flatten(sequences)[0].shape)})."
        )
    stacked = torch.stack(outputs, dim=1) if return_sequences else None
    return output, stacked, states


def _expand_like(mask_t, tensor):
    """A `(batch,)` mask shaped to broadcast against `tensor` `(batch, ...)`."""
    return mask_t.view(mask_t.shape[0], *([1] * (tensor.ndim - 1)))
