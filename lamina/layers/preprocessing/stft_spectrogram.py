"""STFTSpectrogram: spectrograms of 1D signals, computed as strided convolutions with DFT kernels.

The cosine and sine kernels are ordinary (trainable by default, as in Keras) weights of shape
`(frame_length, 1, fft_length // 2 + 1)`, so a model can fine-tune them.
"""

import math
import warnings

import torch
import torch.nn.functional as F

from lamina import config
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
_FLOAT_DTYPES = (torch.float16, torch.float32, torch.float64)


def _named_window(name, length, periodic):
    """The window `name` (SciPy's names) of `length` samples; `periodic` as SciPy's `fftbins`."""
    makers = {
        "hann": torch.hann_window, "hanning": torch.hann_window,
        "hamming": torch.hamming_window, "blackman": torch.blackman_window,
        "bartlett": torch.bartlett_window,
    }
    if name in ("boxcar", "box", "ones", "rectangular", "rect"):
        return torch.ones(length, dtype=torch.float64)
    if name not in makers:
        raise ValueError(
            f"Unknown window {name!r}: use one of {sorted(makers) + ['boxcar']}, "
            "or pass the window values as an array."
        )
    if length == 1:
        return torch.ones(1, dtype=torch.float64)
    return makers[name](length, periodic=bool(periodic), dtype=torch.float64)


def dft_kernel(side, frame_length, num_bins, window, scaling, periodic, dtype):
    """The `(frame_length, 1, num_bins)` kernel: `cos` (side "real") or `sin` (side "imag") of
    `-2*pi*t*k / N` with `N = 2 * (num_bins - 1)`, times the window divided by its L2 norm
    (scaling "density"), its L1 norm ("spectrum"), or 1 (None)."""
    # Built in the weight dtype, in this order, so that the rounding (which decides e.g. the
    # sign of the tiny imaginary parts behind `mode="angle"`) is the same as Keras's.
    n = 2 * (num_bins - 1)
    freq = torch.arange(num_bins, dtype=dtype).reshape(1, 1, num_bins) / n
    t = torch.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
    angle = (-2 * t) * freq * torch.acos(torch.tensor(-1.0, dtype=dtype))
    kernel = torch.cos(angle) if side == "real" else torch.sin(angle)
    if window is not None:
        if isinstance(window, str):
            win = _named_window(window, frame_length, periodic)
        else:
            win = torch.as_tensor(
                window.tolist() if hasattr(window, "tolist") else window, dtype=torch.float64)
            if win.ndim != 1 or win.shape[0] != frame_length:
                raise ValueError(
                    f"The window must have shape ({frame_length},) (frame_length). "
                    f"Received shape {tuple(win.shape)}."
                )
        win = win.to(dtype).reshape(frame_length, 1, 1)
        if scaling == "density":
            norm = torch.sqrt(torch.sum(win * win))
        elif scaling == "spectrum":
            norm = torch.sum(torch.abs(win))
        else:
            norm = 1.0
        kernel = kernel * win / norm
    return kernel


def _same_padding(length, kernel, stride):
    """(left, right) zero padding of TensorFlow-style "same" convolutions."""
    out = -(-length // stride)
    total = max((out - 1) * stride + kernel - length, 0)
    return total // 2, total - total // 2


@keras_export("layers.STFTSpectrogram")
class STFTSpectrogram(Layer):
    """Spectrogram of each channel of a `(batch, time, channels)` signal (or
    `(batch, channels, time)` with `data_format="channels_first"`).

    Frames of `frame_length` samples, `frame_step` apart, are windowed and transformed with
    `fft_length` frequency points; `mode` picks the output: `"log"` (log magnitude, the
    default), `"magnitude"`, `"psd"` (one-sided power), `"real"`, `"imag"`, `"angle"`, or
    `"stft"` (real parts then imaginary parts along the frequency axis).

    Without `expand_dims` the channels' frequency bins are flattened together:
    `(batch, frames, channels * bins)`; with it the output is image-like,
    `(batch, frames, bins, channels)` (or `(batch, channels, frames, bins)` channels-first).

    Example:
        >>> STFTSpectrogram(frame_length=256, frame_step=128, fft_length=512)  # 257 bins
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        if frame_step is not None and not 1 <= frame_step <= frame_length:
            raise ValueError(
                "`frame_step` must be a positive integer no larger than `frame_length`. "
                f"Received frame_step={frame_step}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "`fft_length` must be at least `frame_length`. "
                f"Received fft_length={fft_length}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length & (fft_length - 1):
            warnings.warn(
                f"`fft_length` should preferably be a power of two. Received fft_length={fft_length}"
            )
        if mode not in _MODES:
            raise ValueError(
                f"Invalid mode: expected one of {', '.join(_MODES)}. Received: mode={mode}"
            )
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(
                "`scaling` must be None, 'density' or 'spectrum'. "
                f"Received scaling={scaling}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(f"`padding` must be 'valid' or 'same'. Received: padding={padding}")
        if isinstance(window, str):
            _named_window(window, 1, periodic)  # fails early on an unknown name
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)

        def initializer(side):
            return lambda shape, dtype=None: dft_kernel(
                side, shape[0], shape[-1], self.window, self.scaling, self.periodic,
                dtype or torch.float32)

        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel", shape=shape, initializer=initializer("real"))
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel", shape=shape, initializer=initializer("imag"))
        self.built = True

    def _convolve(self, signals, kernel):
        """(batch * channels, 1, time) -> (batch * channels, bins, frames)."""
        weight = kernel.to(signals.dtype).permute(2, 1, 0)  # (bins, 1, frame_length)
        if self.padding == "same":
            signals = F.pad(signals, _same_padding(signals.shape[-1], self.frame_length,
                                                   self._frame_step))
        return F.conv1d(signals, weight, stride=self._frame_step)

    def _arrange(self, outputs, batch, channels):
        """(batch * channels, bins, frames) -> the layer's output layout."""
        bins, frames = outputs.shape[-2:]
        outputs = outputs.reshape(batch, channels, bins, frames)
        if self.data_format == "channels_last":
            if self.expand_dims:
                return outputs.permute(0, 3, 2, 1)
            return outputs.reshape(batch, channels * bins, frames).transpose(1, 2)
        if self.expand_dims:
            return outputs.transpose(2, 3)
        return outputs.reshape(batch, channels * bins, frames)

    def call(self, inputs):
        if inputs.dtype not in _FLOAT_DTYPES:
            raise TypeError(
                "STFTSpectrogram expects float16, float32 or float64 inputs. "
                f"Received: input type={inputs.dtype}"
            )
        if self.data_format == "channels_last":
            inputs = inputs.transpose(1, 2)
        batch, channels, time = inputs.shape
        signals = inputs.reshape(batch * channels, 1, time)
        real = self._convolve(signals, self.real_kernel) if self.mode != "imag" else None
        imag = self._convolve(signals, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            out = real
        elif self.mode == "imag":
            out = imag
        elif self.mode == "angle":
            out = torch.atan2(imag, real)
        elif self.mode == "stft":
            out = torch.cat([real, imag], dim=1)
        else:
            power = real * real + imag * imag
            if self.mode == "psd":  # one-sided: every bin but DC and the last counts twice
                out = power + F.pad(power[:, 1:-1], (0, 0, 1, 1))
            else:
                eps = config.epsilon()
                out = torch.sqrt(torch.clamp(power, min=eps))
                if self.mode == "log":
                    out = torch.log(torch.clamp(out, min=eps))
        return self._arrange(out, batch, channels)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            batch, time, channels = input_shape
        else:
            batch, channels, time = input_shape
        bins = self._fft_length // 2 + 1
        if self.mode == "stft":
            bins *= 2
        if time is None:
            frames = None
        elif self.padding == "same":
            frames = -(-time // self._frame_step)
        else:
            frames = (time - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, bins, channels)
            return (batch, channels, frames, bins)
        flat = None if channels is None else channels * bins
        if self.data_format == "channels_last":
            return (batch, frames, flat)
        return (batch, flat, frames)

    def get_config(self):
        window = self.window
        if window is not None and not isinstance(window, str):
            window = window.tolist() if hasattr(window, "tolist") else list(window)
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }
