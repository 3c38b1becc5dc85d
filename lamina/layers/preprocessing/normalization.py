"""Normalization: shift and scale features to zero mean and unit variance.

The statistics come either from the constructor (`mean=`, `variance=`) or from `adapt(data)`,
which stores them in the non-trainable weights `mean`, `variance` and `count` (Keras's names,
order and shapes, so weight files are interchangeable; like Keras, `count` stays 0).
"""

import itertools
import math

import numpy as np
import torch

from lamina import config
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export


@keras_export("layers.Normalization")
class Normalization(Layer):
    """Normalizes inputs as `(x - mean) / sqrt(variance)` (or the inverse with `invert=True`).

    Args:
        axis: the axis or axes that keep separate statistics (default -1: one mean and variance
            per feature of the last axis); `None` for a single scalar mean and variance.
        mean, variance: fixed statistics, broadcastable to the kept axes; give both or neither
            (then call `adapt()`).
        invert: apply the inverse transform, `mean + x * sqrt(variance)`.

    Example:
        >>> layer = Normalization(axis=None)
        >>> layer.adapt(np.array([1., 2., 3., 4., 5.]))
        >>> layer(np.array([1., 2., 3.]))   # [-1.4142, -0.7071, 0.]
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "`mean` and `variance` must have the same shape. Received: mean shape "
                    f"{np.shape(mean)} and variance shape {np.shape(variance)}"
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    f"The rank of `mean` must be at most the number of kept axes "
                    f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis "
                    f"{self.axis}"
                )
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                f"ndim={ndim}, while axis={self.axis}"
            )
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for a in self._keep_axis:
            if input_shape[a] is None:
                raise ValueError(
                    f"Normalization keeps statistics along axis {a}, so that axis must have a "
                    f"known size. Received input shape {tuple(input_shape)}."
                )
        self._reduce_axis = tuple(a for a in range(ndim) if a not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[a] if a in self._keep_axis else 1
                                      for a in range(ndim))
        stats_shape = tuple(input_shape[a] for a in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape=stats_shape, initializer="zeros",
                                              trainable=False, name="mean")
            self.adapt_variance = self.add_weight(shape=stats_shape, initializer="ones",
                                                  trainable=False, name="variance")
            self.count = self.add_weight(shape=(), dtype="int32", initializer="zeros",
                                         trainable=False, name="count")
        else:
            self.register_buffer("_fixed_mean", self._broadcast_fixed(self.input_mean),
                                 persistent=False)
            self.register_buffer("_fixed_variance", self._broadcast_fixed(self.input_variance),
                                 persistent=False)

    def _broadcast_fixed(self, value):
        """A constant `mean`/`variance` laid along the kept axes, broadcast to the input rank."""
        value = torch.as_tensor(np.asarray(value, dtype=np.float64), dtype=self._torch_dtype)
        if value.ndim > 0:
            expanded = [1] * len(self._broadcast_shape)
            for i in range(1, value.ndim + 1):  # trailing value axes go to the last kept axes
                expanded[self._keep_axis[-i]] = value.shape[-i]
            value = value.reshape(expanded)
        return torch.broadcast_to(value, self._broadcast_shape).clone()

    @property
    def mean(self):
        """The mean, shaped to broadcast against inputs (None before the layer is built)."""
        if not self.built:
            return None
        if self.input_mean is not None:
            return self._fixed_mean
        return self.adapt_mean.detach().reshape(self._broadcast_shape)

    @property
    def variance(self):
        if not self.built:
            return None
        if self.input_variance is not None:
            return self._fixed_variance
        return self.adapt_variance.detach().reshape(self._broadcast_shape)

    def call(self, inputs):
        if not inputs.is_floating_point():
            inputs = inputs.to(self._torch_dtype)
        mean = self.mean.to(device=inputs.device, dtype=inputs.dtype)
        variance = self.variance.to(device=inputs.device, dtype=inputs.dtype)
        scale = torch.clamp(torch.sqrt(variance), min=config.epsilon())
        if self.invert:
            return mean + inputs * scale
        return (inputs - mean) / scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    # ------------------------------------------------------------------ adapt
    def adapt(self, data, batch_size=None, steps=None):
        """Compute the mean and variance of `data` along the non-kept axes and store them.

        Args:
            data: a numpy array or tensor (one pass over all of it), or an iterable of batches
                (lists of arrays, generators, datasets, data loaders; `(x, y)` batches use `x`).
            batch_size: with an array, compute the statistics `batch_size` samples at a time
                (only changes memory use).
            steps: with an iterable, stop after this many batches.
        """
        if self.input_mean is not None:
            raise ValueError(
                f'Normalization layer "{self.name}" was given a fixed `mean` and `variance`; '
                "adapt() would overwrite them. Create the layer without them to adapt it."
            )
        batches, shape = _batches(data, batch_size, steps)
        if not self.built:
            kept = {a % len(shape) for a in self.axis}
            # The batch size of the adapt data is not part of the layer, unless (batched
            # scalars) the batch axis is the one that keeps its own statistics.
            self._build_shapes = tuple(shape) if 0 in kept else (None,) + tuple(shape[1:])
            self._build_with_shapes(self._build_shapes)
        else:
            for a in self._keep_axis:
                if shape[a] != self._broadcast_shape[a]:
                    raise ValueError(
                        f'Normalization layer "{self.name}" was built for inputs of shape '
                        f"{self._build_shapes}, but adapt() received data of shape {shape}."
                    )
        total_mean, total_var, total_count = 0.0, 0.0, 0
        for batch in batches:
            batch = _to_numpy(batch).astype(np.float64)
            for a in self._keep_axis:
                if batch.shape[a] != self._broadcast_shape[a]:
                    raise ValueError(
                        f"adapt() got a batch of shape {batch.shape}, incompatible with the "
                        f"first batch's shape {tuple(shape)} along axis {a}."
                    )
            count = math.prod(batch.shape[a] for a in self._reduce_axis)
            batch_mean = batch.mean(axis=self._reduce_axis)
            batch_var = batch.var(axis=self._reduce_axis)
            # Merge the two populations' moments (exact: variances about the joint mean).
            weight = count / (total_count + count)
            new_mean = total_mean * (1 - weight) + batch_mean * weight
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - weight)
                         + (batch_var + (batch_mean - new_mean) ** 2) * weight)
            total_mean, total_count = new_mean, total_count + count
        if total_count == 0:
            raise ValueError("adapt() received no data: pass a non-empty array or batches.")
        with torch.no_grad():
            self.adapt_mean.copy_(torch.as_tensor(np.reshape(total_mean, self.adapt_mean.shape)))
            self.adapt_variance.copy_(
                torch.as_tensor(np.reshape(total_var, self.adapt_variance.shape)))

    def get_config(self):
        return {**super().get_config(), "axis": list(self.axis), "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(),
                "variance": np.array(self.input_variance).tolist()}


def _to_numpy(batch):
    if isinstance(batch, torch.Tensor):
        return batch.detach().cpu().numpy()
    return np.asarray(batch)


def _batches(data, batch_size, steps):
    """(iterator over batches, shape of the first batch) for adapt()'s kinds of data."""
    if isinstance(data, (np.ndarray, torch.Tensor)):
        if data.ndim == 0:
            raise ValueError("adapt() needs at least one axis of data; received a scalar.")
        size = batch_size or max(len(data), 1)
        return (data[i:i + size] for i in range(0, len(data), size)), tuple(data.shape)
    if not hasattr(data, "__iter__"):
        raise TypeError(
            f"adapt() expects a numpy array, a tensor or an iterable of batches. Received: "
            f"{type(data).__name__}."
        )
    iterator = iter(data)
    if steps is not None:
        iterator = itertools.islice(iterator, steps)
    iterator = (b[0] if isinstance(b, tuple) else b for b in iterator)
    first = next(iterator, None)
    if first is None:
        raise ValueError(
            "adapt() received an empty iterable (no batches). Pass a non-empty iterable of "
            "arrays or tensors, e.g. layer.adapt([x])."
        )
    if not hasattr(first, "shape"):
        raise TypeError(
            "adapt() expects an iterable of arrays or tensors (objects with a `.shape`); got "
            f"an element of type {type(first).__name__}."
        )
    return itertools.chain([first], iterator), tuple(first.shape)
