"""`ops.ctc_decode`, greedy and beam search, against Keras 3's outputs (recorded by
tests/fixtures/keras_api_more/make_fixtures.py) and against brute force on tiny inputs."""

import itertools
import math
import pathlib

import numpy as np
import pytest
import torch

from lamina import ops

KERAS = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "keras_api_more" /
                "keras_api_more.npz")
LOGITS, LENGTHS = KERAS["ctc/logits"], KERAS["ctc/lengths"]


@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("mask", [0, None])
def test_greedy_matches_keras(merge, mask):
    decoded, scores = ops.ctc_decode(LOGITS, LENGTHS, merge_repeated=merge, mask_index=mask)
    np.testing.assert_array_equal(decoded, KERAS[f"ctc/greedy_{merge}_{mask}/decoded"])
    np.testing.assert_allclose(scores, KERAS[f"ctc/greedy_{merge}_{mask}/scores"], rtol=1e-6)


@pytest.mark.parametrize("beam_width, top_paths, mask",
                         [(3, 2, 0), (100, 3, 0), (100, 3, None), (2, 1, 2), (1, 1, 0)])
def test_beam_search_matches_keras(beam_width, top_paths, mask):
    decoded, scores = ops.ctc_decode(LOGITS, LENGTHS, strategy="beam_search",
                                     beam_width=beam_width, top_paths=top_paths, mask_index=mask)
    key = f"ctc/beam_{beam_width}_{top_paths}_{mask}"
    assert decoded.dtype == torch.int32
    np.testing.assert_array_equal(decoded, KERAS[key + "/decoded"])
    np.testing.assert_allclose(scores, KERAS[key + "/scores"], rtol=1e-5)


def test_beam_search_with_a_narrow_beam_on_more_classes_matches_keras():
    decoded, scores = ops.ctc_decode(KERAS["ctc/big_logits"], np.array([10, 7]),
                                     strategy="beam_search", beam_width=4, top_paths=4)
    np.testing.assert_array_equal(decoded, KERAS["ctc/big_beam/decoded"])
    np.testing.assert_allclose(scores, KERAS["ctc/big_beam/scores"], rtol=1e-5)


def _collapse(path, blank):
    labels = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
    return tuple(c for c in labels if c != blank)


def test_a_wide_beam_finds_the_exact_label_probabilities():
    """With a beam wider than every prefix, the scores are the exact log probabilities of the
    labels: the sum over all alignments, computed here by enumerating them."""
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(1, 4, 3)).astype("float32")
    log_probs = torch.log_softmax(torch.as_tensor(logits[0], dtype=torch.float64), -1).numpy()
    totals = {}
    for path in itertools.product(range(3), repeat=4):
        label = _collapse(path, blank=0)
        totals[label] = totals.get(label, 0.0) + math.exp(sum(log_probs[t, c]
                                                              for t, c in enumerate(path)))
    best = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:3]
    decoded, scores = ops.ctc_decode(logits, np.array([4]), strategy="beam_search",
                                     beam_width=50, top_paths=3)
    for k, (label, probability) in enumerate(best):
        assert tuple(int(c) for c in decoded[k, 0] if c >= 0) == label
        assert scores[0, k].item() == pytest.approx(math.log(probability), rel=1e-5)


def test_unknown_strategy_says_what_is_allowed():
    with pytest.raises(ValueError, match="'greedy' or 'beam_search'"):
        ops.ctc_decode(LOGITS, LENGTHS, strategy="prefix")


def test_symbolic_shapes():
    import lamina

    logits, lengths = lamina.Input((6, 5)), lamina.Input((), dtype="int32")
    decoded, scores = ops.ctc_decode(logits, lengths, strategy="beam_search", top_paths=2)
    assert (decoded.shape, scores.shape) == ((2, None, 6), (None, 2))
    decoded, scores = ops.ctc_decode(logits, lengths)
    assert (decoded.shape, scores.shape) == ((1, None, 6), (None, 1))


def test_more_paths_than_possible_are_padded_like_keras():
    # Two frames, classes {blank, 1}: only [], [1] are possible; [1, 1] needs three frames.
    logits = np.log(np.array([[[0.4, 0.6], [0.3, 0.7]]], "float32"))
    decoded, scores = ops.ctc_decode(logits, np.array([2]), strategy="beam_search",
                                     top_paths=4)
    assert decoded[:, 0].tolist() == [[1, -1], [-1, -1], [-1, -1], [-1, -1]]
    np.testing.assert_allclose(scores[0, :2], np.log([0.6 * 0.3 + 0.6 * 0.7 + 0.4 * 0.7,
                                                      0.4 * 0.3]), rtol=1e-6)
    assert np.all(np.isneginf(scores[0, 2:].numpy()))
