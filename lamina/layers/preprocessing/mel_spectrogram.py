"""MelSpectrogram: raw audio `(batch, time)` or `(time,)` -> `(..., num_mel_bins, frames)`."""

import math

import torch

from lamina.layers.layer import Layer
from lamina.ops.math import stft
from lamina.registry.export import keras_export

# HTK mel scale: mel(f) = 1127 * ln(1 + f / 700)
_MEL_BREAK_HZ = 700.0
_MEL_Q = 1127.0


def _hz_to_mel(hz):
    return _MEL_Q * torch.log1p(hz / _MEL_BREAK_HZ)


def mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz,
                      upper_edge_hertz, dtype=torch.float32, device=None):
    """`(num_spectrogram_bins, num_mel_bins)` triangular HTK filters (peak 1) spaced evenly on
    the mel scale between the two edges; the DC bin gets no weight."""
    f64 = dict(dtype=torch.float64, device=device)
    bin_hz = torch.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins, **f64)[1:]
    bin_mel = _hz_to_mel(bin_hz)[:, None]
    edges = torch.linspace(float(_hz_to_mel(torch.tensor(float(lower_edge_hertz), **f64))),
                           float(_hz_to_mel(torch.tensor(float(upper_edge_hertz), **f64))),
                           num_mel_bins + 2, **f64)
    low, center, high = edges[:-2][None], edges[1:-1][None], edges[2:][None]
    rising = (bin_mel - low) / (center - low)
    falling = (high - bin_mel) / (high - center)
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    weights = torch.nn.functional.pad(weights, (0, 0, 1, 0))
    return weights.to(dtype)


@keras_export("layers.MelSpectrogram")
class MelSpectrogram(Layer):
    """Mel-scaled (and by default decibel-scaled) power spectrogram of raw audio.

    The signal is framed by a centred STFT (`sequence_length` samples per frame, zero-padded to
    `fft_length`, `sequence_stride` apart), its magnitude raised to `mag_exp`, mapped onto
    `num_mel_bins` HTK mel bands between `min_freq` and `max_freq` (default: Nyquist), and,
    with `power_to_db`, converted to decibels relative to `ref_power` (values below `min_power`
    are clipped; the result is floored `top_db` below its maximum over the whole batch).

    Example:
        >>> MelSpectrogram(num_mel_bins=64, sampling_rate=8000)(audio)  # (batch, 64, frames)
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        super().__init__(**kwargs)
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "`fft_length` must be at least `sequence_length`. Received: "
                f"sequence_length={self.sequence_length}, fft_length={self.fft_length}."
            )
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        self.built = True

    def call(self, inputs):
        compute = self._torch_dtype
        work = compute if compute in (torch.float32, torch.float64) else torch.float32
        inputs = torch.as_tensor(inputs).to(work)
        real, imag = stft(inputs, self.sequence_length, self.sequence_stride, self.fft_length,
                          window=self.window, center=True)
        spec = torch.sqrt(real * real + imag * imag) ** self.mag_exp
        matrix = mel_weight_matrix(self.num_mel_bins, spec.shape[-1], self.sampling_rate,
                                   self.min_freq, self.max_freq, spec.dtype, spec.device)
        mel = spec @ matrix
        if self.power_to_db:
            mel = self._to_db(mel)
        return mel.transpose(-1, -2).to(compute)

    def _to_db(self, power):
        db = 10.0 * torch.log10(torch.clamp(power, min=self.min_power))
        db = db - 10.0 * math.log10(max(abs(float(self.ref_power)), self.min_power))
        return torch.maximum(db, db.max() - self.top_db)

    def compute_output_shape(self, input_shape):
        # Keras's frame count formula, kept as is for symbolic parity.
        input_shape = tuple(input_shape)
        time = input_shape[-1]
        frames = None if time is None else (time + self.sequence_stride + 1) // self.sequence_stride
        if len(input_shape) == 1:
            return (self.num_mel_bins, frames)
        return (input_shape[0], self.num_mel_bins, frames)

    def get_config(self):
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }
