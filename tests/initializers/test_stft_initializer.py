"""The STFT initializer against Keras 3's kernels for every window, scaling and periodic option
(recorded by tests/fixtures/keras_api_more/make_fixtures.py), and against numpy's DFT."""

import json
import pathlib

import numpy as np
import pytest
import torch

from lamina import initializers

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "keras_api_more"
KERAS = np.load(FIXTURES / "keras_api_more.npz")
CONFIGS = json.loads((FIXTURES / "keras_api_more.json").read_text())
CASES = sorted(key for key in KERAS.files if key.startswith("stft/") and key.count("_") == 3)


def _option(text):
    return {"None": None, "True": True, "False": False}.get(text, text)


def test_every_window_option_is_recorded():
    assert len(CASES) == 2 * 11 * 3 * 2


@pytest.mark.parametrize("case", CASES)
def test_kernel_matches_keras(case):
    side, window, scaling, periodic = (_option(part) for part in case[5:].split("_"))
    kernel = initializers.STFT(side, window, scaling, periodic)((8, 1, 5))
    assert kernel.dtype == torch.float32 and kernel.shape == (8, 1, 5)
    np.testing.assert_allclose(kernel.numpy(), KERAS[case], rtol=1e-6, atol=2e-7)


def test_array_window_and_other_sizes_match_keras():
    kernel = initializers.STFT("imag", KERAS["stft/custom_window"], "spectrum")((8, 1, 5))
    np.testing.assert_allclose(kernel.numpy(), KERAS["stft/custom"], atol=2e-7)
    np.testing.assert_allclose(initializers.STFT()((7, 1, 9)).numpy(), KERAS["stft/odd_bins"],
                               atol=2e-7)


def test_unwindowed_kernels_compute_the_dft():
    signal = np.random.default_rng(0).normal(size=8)
    real = initializers.STFT("real", None)((8, 1, 5), dtype="float64")
    imag = initializers.STFTInitializer("imag", None)((8, 1, 5), dtype="float64")
    spectrum = np.fft.rfft(signal)
    np.testing.assert_allclose(signal @ real[:, 0, :].numpy(), spectrum.real, atol=1e-12)
    np.testing.assert_allclose(signal @ imag[:, 0, :].numpy(), spectrum.imag, atol=1e-12)


def test_names_and_config_are_keras():
    assert initializers.STFTInitializer is initializers.STFT is initializers.stft
    assert isinstance(initializers.get("stft"), initializers.STFT)
    init = initializers.STFT("imag", "hamming", None, True)
    assert init.get_config() == CONFIGS["stft/config"]
    assert initializers.serialize(initializers.STFT()) == CONFIGS["stft/serialized"]
    again = initializers.deserialize(CONFIGS["stft/serialized"])
    assert isinstance(again, initializers.STFT) and again.window == "hann"
    array_config = initializers.STFT(window=np.ones(4)).get_config()
    assert array_config["window"] == [1.0, 1.0, 1.0, 1.0]


def test_kernel_repeats_over_input_channels():
    kernel = initializers.STFT()((8, 3, 5))
    assert kernel.shape == (8, 3, 5)
    assert torch.equal(kernel[:, 0], kernel[:, 2])


@pytest.mark.parametrize("kwargs, message", [
    ({"side": "both"}, "side must be 'real' or 'imag'"),
    ({"window": "kaiser"}, "Unknown window 'kaiser'"),
    ({"scaling": "l2"}, "scaling must be None, 'density' or 'spectrum'"),
])
def test_invalid_arguments_say_what_is_allowed(kwargs, message):
    with pytest.raises(ValueError, match=message):
        initializers.STFT(**kwargs)


def test_window_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="window must have shape \\(8,\\)"):
        initializers.STFT(window=np.ones(5))((8, 1, 5))
