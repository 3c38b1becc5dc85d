"""STFTSpectrogram and MelSpectrogram: shapes, weights, configs and Keras 3.15.1 (JAX) numerics.

The reference numbers below were produced by Keras on the deterministic input `_signal()`.
"""

import numpy as np
import pytest
import torch

import lamina
from lamina import layers


def _signal(shape):
    return (np.sin(np.arange(np.prod(shape)) * 0.7) * np.cos(np.arange(np.prod(shape)) * 0.13)
            ).reshape(shape).astype("float32")


STFT_CASES = {
    "log": dict(mode="log", frame_length=8, frame_step=4, fft_length=8),
    "magnitude_same_hamming": dict(mode="magnitude", frame_length=6, frame_step=3, fft_length=8,
                                   window="hamming", periodic=True, padding="same",
                                   scaling="spectrum"),
    "psd_channels_first": dict(mode="psd", frame_length=8, frame_step=4,
                               data_format="channels_first", scaling=None),
    "stft_expand": dict(mode="stft", frame_length=8, frame_step=5, expand_dims=True),
    "angle_no_window": dict(mode="angle", frame_length=8, window=None),
    "real": dict(mode="real", frame_length=8),
    "imag_cf_expand": dict(mode="imag", frame_length=8, expand_dims=True,
                           data_format="channels_first"),
}

# name -> (output shape, output sum, first 4 values, weight names, count_params)
STFT_KERAS = {}  # filled below

MEL_CASES = {
    "db": dict(fft_length=16, sequence_stride=5, num_mel_bins=6, sampling_rate=800),
    "no_db": dict(fft_length=16, sequence_stride=4, sequence_length=12, num_mel_bins=5,
                  sampling_rate=1000, power_to_db=False, mag_exp=1.0, min_freq=50.0,
                  max_freq=400.0),
    "db_ref_hamming": dict(fft_length=16, sequence_stride=7, num_mel_bins=4, sampling_rate=500,
                           top_db=20.0, ref_power=2.0, window="hamming"),
}
MEL_KERAS = {}  # name -> (output shape, output sum, first 4 values, 1D-input sum)

STFT_KERAS.update({
    'log': ((2, 4, 10), -105.8873062133789, [-1.3346138, -0.7132459, -0.4824398, -1.0521668], ['real_kernel', 'imag_kernel'], 80),
    'magnitude_same_hamming': ((2, 7, 10), 25.531936645507812, [0.3037328, 0.3429401, 0.3599062, 0.2678727], ['real_kernel', 'imag_kernel'], 60),
    'psd_channels_first': ((2, 10, 4), 89.63813781738281, [0.1819276, 0.1634072, 0.0840325, 0.2150135], ['real_kernel', 'imag_kernel'], 80),
    'stft_expand': ((2, 3, 10, 2), -0.15624189376831055, [-0.2632598, -0.3145684, 0.475863, 0.274884], ['real_kernel', 'imag_kernel'], 80),
    'angle_no_window': ((2, 4, 10), 47.40709686279297, [0.0, -0.2352615, -1.9285125, 2.8315384], ['real_kernel', 'imag_kernel'], 80),
    'real': ((2, 4, 10), 0.18773627281188965, [-0.2632598, 0.475863, -0.2982207, -0.1009222], ['real_kernel'], 40),
    'imag_cf_expand': ((2, 2, 4, 5), -0.6457412242889404, [0.0, 0.1170654, -0.5404567, 0.3342777], ['imag_kernel'], 40),
})
MEL_KERAS.update({
    'db': ((2, 6, 11), -1494.9940185546875, [7.669691, 7.461276, 0.695944, 1.947633], -743.9296875),
    'no_db': ((2, 5, 13), 98.04976654052734, [0.710359, 1.761277, 1.060376, 0.178556], 48.67576599121094),
    'db_ref_hamming': ((2, 4, 8), -276.30316162109375, [2.8521, 5.063591, -0.76097, 8.388456], -143.16148376464844),
})


def _stft_input(kw):
    x = _signal((2, 20, 2))
    return x.transpose(0, 2, 1).copy() if kw.get("data_format") == "channels_first" else x


@pytest.mark.parametrize("name", sorted(STFT_CASES))
def test_stft_matches_keras(name):
    kw = STFT_CASES[name]
    layer = layers.STFTSpectrogram(**kw)
    y = layer(_stft_input(kw)).detach().numpy()
    shape, total, first, weights, params = STFT_KERAS[name]
    assert y.shape == shape and y.dtype == np.float32
    np.testing.assert_allclose(y.reshape(-1)[:4], first, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(y.sum(), total, rtol=1e-4, atol=1e-4)
    assert [w.name for w in layer.weights] == weights
    assert all(tuple(w.shape) == (kw["frame_length"], 1, 5) for w in layer.weights)
    assert all(w.trainable for w in layer.weights)  # Keras makes the DFT kernels trainable
    assert layer.count_params() == params


@pytest.mark.parametrize("name", sorted(STFT_CASES))
def test_stft_symbolic_and_config(name):
    kw = STFT_CASES[name]
    x = _stft_input(kw)
    out = layers.STFTSpectrogram(**kw)(lamina.Input(x.shape[1:]))
    assert tuple(out.shape) == (None,) + STFT_KERAS[name][0][1:]
    layer = layers.STFTSpectrogram(**kw)
    config = layer.get_config()
    for key, value in kw.items():
        assert config[key] == value
    clone = layers.STFTSpectrogram.from_config(config)
    assert clone.get_config() == config
    np.testing.assert_allclose(clone(x).detach().numpy(), layer(x).detach().numpy(), rtol=1e-6)


def test_stft_defaults_and_validation():
    config = layers.STFTSpectrogram().get_config()
    assert {k: config[k] for k in ("mode", "frame_length", "frame_step", "fft_length", "window",
                                    "periodic", "scaling", "padding", "expand_dims",
                                    "data_format")} == dict(
        mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann",
        periodic=False, scaling="density", padding="valid", expand_dims=False,
        data_format="channels_last")
    y = layers.STFTSpectrogram(frame_length=256, frame_step=128, fft_length=512)(
        torch.zeros(1, 1000, 3))
    assert tuple(y.shape) == (1, 6, 3 * 257)
    for bad in (dict(mode="x"), dict(padding="causal"), dict(scaling="x"),
                dict(frame_step=300), dict(fft_length=100), dict(window="nope")):
        with pytest.raises(ValueError):
            layers.STFTSpectrogram(**bad)
    with pytest.warns(UserWarning):
        layers.STFTSpectrogram(frame_length=8, fft_length=12)


@pytest.mark.parametrize("name", sorted(MEL_CASES))
def test_mel_matches_keras(name):
    kw = MEL_CASES[name]
    layer = layers.MelSpectrogram(**kw)
    x = _signal((2, 50))
    shape, total, first, total_1d = MEL_KERAS[name]
    y = np.asarray(layer(x))
    assert y.shape == shape and y.dtype == np.float32
    np.testing.assert_allclose(y.reshape(-1)[:4], first, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(y.sum(), total, rtol=1e-4)
    y1 = np.asarray(layer(x[0]))
    assert y1.shape == shape[1:]
    np.testing.assert_allclose(y1.sum(), total_1d, rtol=1e-4)
    assert layer.weights == []


@pytest.mark.parametrize("name", sorted(MEL_CASES))
def test_mel_symbolic_and_config(name):
    kw = MEL_CASES[name]
    out = layers.MelSpectrogram(**kw)(lamina.Input((50,)))
    assert tuple(out.shape) == (None,) + MEL_KERAS[name][0][1:]
    layer = layers.MelSpectrogram(**kw)
    config = layer.get_config()
    clone = layers.MelSpectrogram.from_config(config)
    assert clone.get_config() == config
    x = _signal((2, 50))
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(layer(x)), rtol=1e-6)


def test_mel_defaults():
    config = layers.MelSpectrogram().get_config()
    assert {k: v for k, v in config.items() if k not in ("name", "trainable", "dtype")} == dict(
        fft_length=2048, sequence_stride=512, sequence_length=2048, window="hann",
        sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=8000, power_to_db=True,
        top_db=80.0, mag_exp=2.0, min_power=1e-10, ref_power=1.0)
    with pytest.raises(ValueError):
        layers.MelSpectrogram(fft_length=16, sequence_length=32)
