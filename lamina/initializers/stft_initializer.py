"""The STFT initializer: DFT kernels for convolutions that compute a short-time Fourier transform.

A kernel of shape `(frame_length, channels, num_bins)` holds, for time `t` and frequency bin `k`,
`cos(-2*pi*t*k / N)` (side "real") or `sin(-2*pi*t*k / N)` (side "imag") with
`N = 2 * (num_bins - 1)`: convolving frames with it gives the real or imaginary part of their
DFT, first half of the spectrum only. The kernel is multiplied by a window over time, divided by
the window's L2 norm (`scaling="density"`) or L1 norm (`"spectrum"`).

Windows are named as in `scipy.signal.windows` (`"hann"`, `"hamming"`, ...), which Keras uses;
lamina computes the parameter-free ones itself (SciPy is not a dependency). `periodic=True` is
SciPy's `fftbins=True`: the window of length `frame_length + 1` without its last sample.
"""

import math

import numpy as np
import torch

from lamina import config
from lamina.initializers.initializer import Initializer, standardize_shape
from lamina.registry.export import keras_export

# Coefficients of the "generalized cosine" windows: sum_k a_k cos(k x), x from -pi to pi.
_COSINE_SUMS = {
    "hann": (0.5, 0.5),
    "hamming": (0.54, 0.46),
    "blackman": (0.42, 0.50, 0.08),
    "nuttall": (0.3635819, 0.4891775, 0.1365995, 0.0106411),
    "blackmanharris": (0.35875, 0.48829, 0.14128, 0.01168),
    "flattop": (0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368),
}
_ALIASES = {  # SciPy's other spellings
    "han": "hann", "hanning": "hann", "hamm": "hamming", "ham": "hamming",
    "black": "blackman", "blk": "blackman", "nutl": "nuttall", "nut": "nuttall",
    "blackmanharr": "blackmanharris", "blackharr": "blackmanharris", "bkh": "blackmanharris",
    "flat": "flattop", "flt": "flattop", "bart": "bartlett", "brt": "bartlett",
    "triangle": "triang", "tri": "triang", "box": "boxcar", "ones": "boxcar",
    "rect": "boxcar", "rectangular": "boxcar", "halfcosine": "cosine",
}
WINDOW_NAMES = sorted({*_COSINE_SUMS, "bartlett", "triang", "boxcar", "cosine"})


def named_window(name, length, periodic=False):
    """SciPy's window `name` of `length` samples as a float64 tensor (`periodic`: fftbins)."""
    key = _ALIASES.get(name, name) if isinstance(name, str) else name
    if key not in WINDOW_NAMES:
        raise ValueError(
            f"Unknown window {name!r}. Use one of {WINDOW_NAMES}, None for no window, or pass "
            "the window's values as an array of length frame_length."
        )
    if length <= 1:
        return torch.ones(length, dtype=torch.float64)
    size = length + 1 if periodic else length
    window = _symmetric_window(key, size)
    return window[:length]


def _symmetric_window(name, size):
    n = torch.arange(size, dtype=torch.float64)
    if name in _COSINE_SUMS:
        x = torch.linspace(-math.pi, math.pi, size, dtype=torch.float64)
        return sum(a * torch.cos(k * x) for k, a in enumerate(_COSINE_SUMS[name]))
    if name == "bartlett":
        return 1 - torch.abs(2 * n / (size - 1) - 1)
    if name == "triang":  # like bartlett, without the zeros at the ends
        half = torch.arange(1, (size + 1) // 2 + 1, dtype=torch.float64)
        if size % 2 == 0:
            rising = (2 * half - 1) / size
            return torch.cat([rising, rising.flip(0)])
        rising = 2 * half / (size + 1)
        return torch.cat([rising, rising.flip(0)[1:]])
    if name == "cosine":
        return torch.sin(math.pi / size * (n + 0.5))
    return torch.ones(size, dtype=torch.float64)  # boxcar


@keras_export("initializers.STFT", "initializers.STFTInitializer", "initializers.stft")
class STFT(Initializer):
    """Kernels of a convolution computing the real or imaginary part of a windowed DFT.

    Meant for `STFTSpectrogram`; the shape is `(frame_length, channels, fft_length // 2 + 1)`.

    Args:
        side: "real" (cosine kernel) or "imag" (sine kernel).
        window: name of a window of `scipy.signal.windows` ("hann", "hamming", "blackman",
            "bartlett", "boxcar", ...), an array of `frame_length` values, or None.
        scaling: "density" (divide by the window's L2 norm), "spectrum" (L1 norm) or None.
        periodic: whether a named window is periodic (SciPy's `fftbins`) rather than symmetric.

    Example:
        kernel = lamina.initializers.STFT("real", "hann")(shape=(128, 1, 65))
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: side must be 'real' or 'imag'. Received: side={side!r}")
        if isinstance(window, str):
            named_window(window, 1)  # an unknown name fails now, not at build time
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(
                "STFT: scaling must be None, 'density' or 'spectrum'. Received: "
                f"scaling={scaling!r}"
            )
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape)
        if len(shape) != 3:
            raise ValueError(
                "STFT kernels have shape (frame_length, channels, fft_length // 2 + 1). "
                f"Received: shape={shape}"
            )
        frame_length, channels, num_bins = shape
        dtype = config.to_torch_dtype(dtype)
        # The operations run in the weight dtype and in Keras's order, so the rounding is
        # Keras's too (it decides e.g. the sign of near-zero sines that `angle` sees).
        freq = torch.arange(num_bins, dtype=dtype).reshape(1, 1, num_bins) / ((num_bins - 1) * 2)
        time = torch.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        angle = (-2 * time) * freq * torch.acos(torch.tensor(-1.0, dtype=dtype))
        kernel = torch.cos(angle) if self.side == "real" else torch.sin(angle)
        window = self._window(frame_length, dtype)
        if window is not None:
            kernel = kernel * window / self._norm(window)
        return kernel.expand(frame_length, channels, num_bins).clone()

    def _window(self, frame_length, dtype):
        if self.window is None:
            return None
        if isinstance(self.window, str):
            window = named_window(self.window, frame_length, self.periodic)
        else:
            window = torch.as_tensor(np.asarray(self.window, dtype=np.float64))
        if window.dim() != 1 or window.shape[0] != frame_length:
            raise ValueError(
                f"STFT: the window must have shape ({frame_length},) (frame_length). Received: "
                f"window shape={tuple(window.shape)}"
            )
        return window.to(dtype).reshape(frame_length, 1, 1)

    def _norm(self, window):
        if self.scaling == "density":
            return torch.sqrt(torch.sum(window * window))
        if self.scaling == "spectrum":
            return torch.sum(torch.abs(window))
        return 1

    def get_config(self):
        window = self.window
        if isinstance(window, (np.ndarray, torch.Tensor)):
            window = window.tolist()
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}
