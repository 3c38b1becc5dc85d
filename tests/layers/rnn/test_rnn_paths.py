"""The fused torch kernels and the explicit loop give the same numbers and gradients; masks,
dropout and gradients behave as in Keras."""

import numpy as np
import pytest
import torch

import lamina
from lamina.layers import rnn
from lamina.layers.rnn import fused

from .helpers import cases

X = torch.as_tensor(cases.sequences(0))
RIGHT = torch.as_tensor(cases.RIGHT_PADDED)


@pytest.fixture
def fused_calls(monkeypatch):
    """Counts calls of the fused kernel runner (so a test knows which path ran)."""
    calls = []
    original = fused.run_fused

    def spy(*args, **kwargs):
        calls.append(args[0][0].__name__)
        return original(*args, **kwargs)

    monkeypatch.setattr(fused, "run_fused", spy)
    return calls


def _pair(cls, **config):
    """The same layer twice, with equal weights: default (fused) and unroll=True (loop)."""
    fast, slow = cls(**config), cls(unroll=True, **config)
    fast(X)
    slow(X)
    slow.set_weights(fast.get_weights())
    return fast, slow


def _outputs(result):
    return list(result) if isinstance(result, (list, tuple)) else [result]


PATH_CASES = [
    (rnn.SimpleRNN, {"units": 4}),
    (rnn.SimpleRNN, {"units": 4, "activation": "relu", "use_bias": False}),
    (rnn.LSTM, {"units": 4}),
    (rnn.LSTM, {"units": 4, "use_bias": False}),
    (rnn.GRU, {"units": 4}),
    (rnn.GRU, {"units": 4, "use_bias": False}),
]


@pytest.mark.parametrize("cls, config", PATH_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("call", ["plain", "backwards", "right_padded_mask",
                                  "right_padded_mask_without_states"])
def test_fused_kernel_equals_explicit_loop(cls, config, call, fused_calls):
    extra = {"go_backwards": True} if call == "backwards" else {}
    # an LSTM's final carry under a mask needs packed sequences; without it, a gather suffices
    return_state = call != "right_padded_mask_without_states"
    fast, slow = _pair(cls, return_sequences=True, return_state=return_state, **config, **extra)
    kwargs = {"mask": RIGHT} if call.startswith("right_padded_mask") else {}
    fused_calls.clear()
    fast_out = _outputs(fast(X, **kwargs))
    assert len(fused_calls) == 1  # the fused kernel really ran
    slow_out = _outputs(slow(X, **kwargs))
    assert len(fused_calls) == 1  # and the loop did not use it
    for a, b in zip(fast_out, slow_out):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    grads = []
    for layer, outputs in ((fast, fast_out), (slow, slow_out)):
        layer.zero_grad()
        sum((o * torch.linspace(-1, 1, o.shape[-1])).sum() for o in outputs).backward()
        grads.append([w.grad for w in layer.trainable_weights])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("cls, config", PATH_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("masked", [False, True])
def test_cudnn_kernel_equals_the_cpu_kernel(cls, config, masked, fused_calls):
    """On CUDA the fused kernel is cuDNN's, fed one flat weight buffer built from the Keras
    layout; its outputs and gradients equal the CPU kernel's."""
    cpu = cls(return_sequences=True, return_state=True, **config)
    cpu(X)
    gpu = cls(return_sequences=True, return_state=True, **config)
    gpu(X)
    gpu.set_weights(cpu.get_weights())
    gpu.to("cuda")
    results = []
    for layer, device in ((cpu, "cpu"), (gpu, "cuda")):
        kwargs = {"mask": RIGHT.to(device)} if masked else {}
        outputs = _outputs(layer(X.to(device), **kwargs))
        sum((o * torch.linspace(-1, 1, o.shape[-1], device=device)).sum()
            for o in outputs).backward()
        results.append(([o.detach().cpu() for o in outputs],
                        [w.grad.cpu() for w in layer.trainable_weights]))
    assert len(fused_calls) == 2
    for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1]):
        torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-4)


def test_configurations_without_a_torch_kernel_take_the_loop(fused_calls):
    mask = torch.as_tensor(cases.IRREGULAR)
    layers_and_calls = [
        (rnn.GRU(3, reset_after=False), {}),
        (rnn.LSTM(3, activation="relu"), {}),
        (rnn.LSTM(3), {"mask": mask}),  # not right-padded
        (rnn.LSTM(3, go_backwards=True), {"mask": RIGHT}),
        (rnn.LSTM(3, use_cudnn=False), {}),
        (rnn.LSTM(3, recurrent_dropout=0.5), {"training": True}),
    ]
    for layer, kwargs in layers_and_calls:
        assert torch.isfinite(layer(X, **kwargs)).all()
    assert fused_calls == []


def test_an_all_true_mask_is_the_unmasked_computation(fused_calls):
    layer = rnn.GRU(4, return_sequences=True)
    torch.testing.assert_close(layer(X, mask=torch.ones(2, 5, dtype=torch.bool)), layer(X))


def test_masks_from_embedding_mask_zero_reach_the_rnn():
    ids = torch.tensor([[3, 1, 4, 1, 5], [9, 2, 6, 0, 0]])
    embedding = lamina.layers.Embedding(10, 3, mask_zero=True)
    lstm = rnn.LSTM(4, return_sequences=True)
    embedded = embedding(ids)
    outputs = lstm(embedded)
    torch.testing.assert_close(outputs, lstm(embedded.detach(), mask=ids != 0))
    # padded steps repeat the last real output, and the sequence mask is passed on
    torch.testing.assert_close(outputs[1, 3], outputs[1, 2])
    torch.testing.assert_close(outputs._keras_mask, ids != 0)
    assert getattr(rnn.LSTM(4)(embedded), "_keras_mask", None) is None


def test_masked_functional_model_matches_eager_masked_call():
    inputs = lamina.Input(shape=(5,), dtype="int32")
    embedded = lamina.layers.Embedding(10, 3, mask_zero=True)(inputs)
    outputs = rnn.Bidirectional(rnn.GRU(2, return_sequences=True))(embedded)
    model = lamina.Model(inputs, outputs)
    ids = torch.tensor([[3, 1, 4, 1, 5], [9, 2, 6, 0, 0]])
    result = model(ids)
    assert tuple(result.shape) == (2, 5, 4)
    # Bidirectional zeroes padded outputs (zero_output_for_mask) so no direction leaks into them
    assert torch.all(result[1, 3:] == 0)


@pytest.mark.parametrize("cls", [rnn.LSTM, rnn.GRU, rnn.SimpleRNN])
def test_masked_rnns_inside_a_custom_layer_build_on_symbolic_inputs(cls):
    """A guide-style custom layer holding Embedding(mask_zero) and masked RNNs, called on an
    Input: its sublayers run on data-less (meta) tensors, where the mask's padding lengths
    cannot be read. That used to fail with "Cannot copy out of meta tensor"."""

    class Encoder(lamina.layers.Layer):
        def __init__(self):
            super().__init__()
            self.embedding = lamina.layers.Embedding(10, 3, mask_zero=True)
            self.first = rnn.Bidirectional(cls(2, return_sequences=True))
            self.second = cls(4)

        def call(self, ids):
            return self.second(self.first(self.embedding(ids)))

    inputs = lamina.Input(shape=(5,), dtype="int32")
    encoder = Encoder()
    model = lamina.Model(inputs, encoder(inputs))
    assert tuple(model.output.shape) == (None, 4)
    ids = torch.tensor([[3, 1, 4, 1, 5], [9, 2, 6, 0, 0]])
    # the model's numbers are the masked computation's: equal to the shorter sample run alone
    result = model(ids)
    torch.testing.assert_close(result[1:], encoder(ids[1:, :3]))
    torch.testing.assert_close(result[:1], encoder(ids[:1]))


@pytest.mark.parametrize("build", [
    lambda: rnn.SimpleRNN(3, return_sequences=True),
    lambda: rnn.LSTM(3, return_state=True),
    lambda: rnn.GRU(3, reset_after=False),
    lambda: rnn.GRU(3, dropout=0.2, recurrent_dropout=0.2),
    lambda: rnn.RNN([rnn.LSTMCell(3), rnn.GRUCell(2)]),
    lambda: rnn.Bidirectional(rnn.LSTM(3)),
    lambda: rnn.TimeDistributed(lamina.layers.Dense(2)),
], ids=["simple_rnn", "lstm", "gru_reset_before", "gru_dropout", "stacked", "bidirectional",
        "time_distributed"])
def test_gradients_reach_every_trainable_weight(build):
    layer = build()
    outputs = _outputs(layer(X, training=True))
    sum(o.square().sum() for o in outputs).backward()
    assert layer.trainable_weights
    for weight in layer.trainable_weights:
        assert weight.grad is not None and weight.grad.abs().sum() > 0, weight.path


def test_input_dropout_only_in_training_and_fixed_across_timesteps():
    layer = rnn.SimpleRNN(4, dropout=0.5, return_sequences=True, seed=3)
    plain = rnn.SimpleRNN(4, return_sequences=True)
    plain(X)
    layer(X)
    plain.set_weights(layer.get_weights())
    torch.testing.assert_close(layer(X), plain(X))
    torch.testing.assert_close(layer(X, training=False), plain(X))
    first, second = layer(X, training=True), layer(X, training=True)
    assert not torch.allclose(first, plain(X)) and not torch.allclose(first, second)
    # one mask per sequence: with recurrent weights zeroed, dropping feature j at step 0 means
    # dropping it at every step, so inputs equal along time give equal outputs along time
    with torch.no_grad():
        layer.cell.recurrent_kernel.zero_()
    constant = X[:, :1].expand(-1, 5, -1)
    outputs = layer(constant, training=True)
    torch.testing.assert_close(outputs, outputs[:, :1].expand(-1, 5, -1))


def test_recurrent_dropout_changes_training_outputs_only():
    layer = rnn.LSTM(4, recurrent_dropout=0.5)
    reference = layer(X)
    torch.testing.assert_close(layer(X, training=False), reference)
    assert not torch.allclose(layer(X, training=True), reference)


def test_stateful_rnn_carries_and_resets_states():
    layer = rnn.GRU(3, stateful=True)
    first = layer(X)
    assert layer.states is not None and tuple(layer.states[0].shape) == (2, 3)
    torch.testing.assert_close(layer.states[0], first)
    second = layer(X)
    assert not torch.allclose(first, second)
    layer.reset_states()
    torch.testing.assert_close(layer(X), first)
    layer.reset_states(states=[np.ones((2, 3), dtype="float32")])
    torch.testing.assert_close(layer.states[0], torch.ones(2, 3))
    with pytest.raises(ValueError, match="stateful and was first called with batch size 2"):
        layer(X[:1])


def test_stateful_states_do_not_keep_the_previous_graph():
    layer = rnn.LSTM(3, stateful=True)
    layer(X).sum().backward()
    layer(X).sum().backward()  # would fail if the carried state held the first graph
    assert not any(s.requires_grad for s in layer.states)


@pytest.mark.parametrize("cls, config", PATH_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_flat_weight_buffer_feeds_the_kernel_the_same_numbers_and_gradients(cls, config):
    """What CUDA runs (`_one_flat_buffer`), checked on the CPU kernel: one contiguous buffer,
    in the kernel's order, whose views give the same outputs and carry the same gradients back
    to the Keras-layout weights."""
    layer = cls(return_sequences=True, **config)
    layer(X)
    function, params, has_biases = layer.cell.torch_rnn_kernel()
    flat = fused._one_flat_buffer(params)
    assert all(f.is_contiguous() for f in flat)
    assert len({f.untyped_storage().data_ptr() for f in flat}) == 1
    offsets = [f.storage_offset() for f in flat]
    assert offsets == sorted(offsets) and offsets[0] == 0
    results = []
    for weights in (params, fused._one_flat_buffer(params)):
        layer.zero_grad()
        states = [torch.zeros(X.shape[0], 4)] * (2 if function is torch.lstm else 1)
        outputs, _ = fused.run_fused((function, weights, has_biases), X, states)
        (outputs * torch.linspace(-1, 1, 4)).sum().backward()
        results.append([outputs.detach()] + [w.grad.clone() for w in layer.trainable_weights])
    for a, b in zip(*results):  # (contiguous weights may take another GEMM path: rounding)
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
