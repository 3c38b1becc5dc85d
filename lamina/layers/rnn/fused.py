"""torch's fused recurrent kernels (`torch.lstm`, `torch.gru`, `torch.rnn_tanh`, `torch.rnn_relu`:
the functions behind `nn.LSTM` & co., cuDNN on CUDA) run on Keras-layout weights.

The cells convert their weights to torch's layout on every call (`LSTMCell.torch_rnn_kernel`):
transposes are views and GRU's gate reorder is one small copy, negligible next to the recurrence,
and it keeps Keras arrays as the stored parameters. cuDNN needs more: contiguous weights (it
views them; a transposed view fails), best in one flat buffer in its own order, so on CUDA the
converted weights are copied into one buffer per call (`_one_flat_buffer`), the copy cuDNN
would otherwise make itself. With a right-padded mask the RNN layer either
picks each sample's last real step out of the unpacked run, or (when an LSTM's final carry is
needed) packs the sequences here, so padded steps are skipped exactly as Keras's masking skips
them.
"""

import contextlib
import warnings

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence


def run_fused(kernel, sequences, states, lengths=None):
    """Run one fused recurrence over `sequences` `(batch, time, features)` from `states`.

    `kernel` is `(function, params, has_biases)` from a cell; `lengths` (a CPU tensor, all >= 1)
    selects right-padded sequences. Returns `(outputs, final_states)`; `outputs` is
    `(batch, time, units)`, zero at padded steps.
    """
    function, params, has_biases = kernel
    if sequences.device.type == "cuda":
        params = _one_flat_buffer(params)
    is_lstm = function is torch.lstm
    hidden = tuple(s.unsqueeze(0) for s in states) if is_lstm else states[0].unsqueeze(0)
    # cuDNN only keeps what backward needs when `train` is True; dropout is 0 either way.
    train = torch.is_grad_enabled()
    with _contiguous_weights_warning_silenced(sequences):
        if lengths is None:
            result = _eager(function, sequences, hidden, params, has_biases, 1, 0.0, train,
                            False, True)
            return result[0], [s.squeeze(0) for s in result[1:]]
        packed = pack_padded_sequence(sequences, lengths, batch_first=True, enforce_sorted=False)
        order = packed.sorted_indices
        hidden = tuple(h.index_select(1, order) for h in hidden) if is_lstm else \
            hidden.index_select(1, order)
        result = _eager(function, packed.data, packed.batch_sizes, hidden, params, has_biases, 1,
                        0.0, train, False)
    outputs, _ = pad_packed_sequence(
        PackedSequence(result[0], packed.batch_sizes, order, packed.unsorted_indices),
        batch_first=True, total_length=sequences.shape[1],
    )
    finals = [s.index_select(1, packed.unsorted_indices).squeeze(0) for s in result[1:]]
    return outputs, finals


def _one_flat_buffer(params):
    """`params` copied, in order, into one contiguous buffer (as views of it): cuDNN's layout
    for one layer and direction is weight_ih, weight_hh, bias_ih, bias_hh back to back."""
    flat = torch.cat([p.reshape(-1) for p in params])
    return [chunk.view(p.shape) for chunk, p in zip(flat.split([p.numel() for p in params]),
                                                    params)]


@torch.compiler.disable
def _eager(function, *args):
    """The fused kernel, kept out of torch.compile graphs (a graph break around it): in torch
    2.13, compiling `torch.lstm` with autograd on the CPU fails (its mkldnn_rnn_layer saves a
    None for backward), and where it compiles, the recurrence is unrolled step by step, which
    takes minutes for a long sequence and gains nothing over the fused kernel."""
    return function(*args)


@torch.compiler.disable
def right_padded_lengths(mask):
    """`(lengths, nothing_masked)` for a mask `(batch, time)`: `lengths` is the per-sample
    lengths (a CPU tensor) if the mask is right-padded (a run of True then only False) and no
    sample is empty, else None; `nothing_masked` is True when every step of every sample is
    kept (the mask can be dropped).

    This is one device -> host copy per call: packing needs the lengths on the host anyway. It
    runs outside torch.compile graphs: what it returns depends on the data (Dynamo would break
    the graph at each read of it, with a warning about `Tensor.item()` per read).

    A meta mask (a layer nested in a custom layer, called on symbolic inputs) has no data to
    read: it answers "nothing masked", so the shapes come from the unmasked kernel, which are
    the masked run's shapes too."""
    if mask.device.type == "meta":
        return None, True
    lengths = mask.sum(dim=1)
    steps = torch.arange(mask.shape[1], device=mask.device)
    regular = (mask == (steps.unsqueeze(0) < lengths.unsqueeze(1))).all()
    summary = torch.cat([lengths, regular.view(1).to(lengths.dtype)]).cpu()
    lengths, regular = summary[:-1], bool(summary[-1])
    shortest = int(lengths.min())
    if not regular or shortest == 0:
        return None, False
    return lengths, shortest == mask.shape[1]


@contextlib.contextmanager
def _contiguous_weights_warning_silenced(sequences):
    """cuDNN warns that weights are not one flat buffer (it copies them itself); that copy is
    the price of keeping Keras-layout weights, so the warning says nothing actionable."""
    if sequences.device.type != "cuda":
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*contiguous chunk of memory.*")
        yield
