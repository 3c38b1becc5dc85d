"""Discretization: bucket continuous values by boundaries, given or learned by `adapt()`."""

import numpy as np
import torch

from lamina.layers.layer import Layer
from lamina.layers.preprocessing.categorical import encode_categorical
from lamina.registry.export import keras_export


@keras_export("layers.Discretization")
class Discretization(Layer):
    """Maps each value to the index of its bin: bin i holds `boundaries[i-1] <= x < boundaries[i]`.

    Args:
        bin_boundaries: sorted list of boundaries (n boundaries -> n + 1 bins).
        num_bins: instead, learn `num_bins - 1` quantile boundaries with `adapt(data)`.
        epsilon: accuracy of the approximate quantiles used by `adapt()` (default 0.01).
        output_mode: "int" (bin indices, int32), "one_hot", "multi_hot" or "count".

    Example:
        >>> Discretization(bin_boundaries=[0.0, 1.0])(np.array([[-1.0, 0.5, 2.0]]))
        [[0, 1, 2]]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(
                "Discretization: unknown `output_mode`. Expected one of 'int', 'one_hot', "
                f"'multi_hot', 'count'. Received: output_mode={output_mode!r}"
            )
        if sparse:
            raise ValueError("Discretization: sparse=True is not supported by lamina.")
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. Received: "
                f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.bin_boundaries = None
        self._summary = np.zeros((2, 0), dtype=np.float32)
        if bin_boundaries is not None:
            self._set_boundaries(bin_boundaries)
        self.built = True

    def _set_boundaries(self, boundaries):
        self.bin_boundaries = [float(b) for b in boundaries]
        self.register_buffer("_boundaries", torch.tensor(self.bin_boundaries), persistent=False)

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                "Discretization has no bins yet: pass `bin_boundaries` to the constructor or "
                "call `adapt(data)` before using the layer."
            )
        values = inputs if inputs.is_floating_point() else inputs.to(self._torch_dtype)
        boundaries = self._boundaries.to(device=values.device, dtype=values.dtype)
        # (contiguous: torch warns, once per process, about a strided column of an array)
        indices = torch.bucketize(values.contiguous(), boundaries, right=True)
        if self.output_mode == "int":
            return indices.to(torch.int32)
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1,
                                  self._torch_dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    # ------------------------------------------------------------------ adapt
    def adapt(self, data, batch_size=None, steps=None):
        """Learn `num_bins - 1` boundaries at the quantiles of `data` (an array, a tensor or an
        iterable of batches; `steps` limits the number of batches)."""
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead."
            )
        self._summary = np.zeros((2, 0), dtype=np.float32)
        if isinstance(data, (np.ndarray, torch.Tensor)) or not hasattr(data, "__iter__"):
            batches = [data]
        else:
            batches = data
        for step, batch in enumerate(batches):
            if steps is not None and step >= steps:
                break
            if isinstance(batch, torch.Tensor):
                batch = batch.detach().cpu().numpy()
            self._summary = merge_summaries(summarize(np.asarray(batch, np.float32), self.epsilon),
                                            self._summary, self.epsilon)
        boundaries = compress_summary(self._summary, 1.0 / self.num_bins)[0, :-1]
        self._set_boundaries(boundaries.tolist())

    def get_config(self):
        config_dict = {**super().get_config(), "bin_boundaries": self.bin_boundaries,
                       "num_bins": self.num_bins, "epsilon": self.epsilon,
                       "output_mode": self.output_mode, "sparse": self.sparse}
        config_dict.pop("trainable")  # Keras's Discretization takes no `trainable` argument
        return config_dict

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None)
        if boundaries is not None and config.get("num_bins") is None:
            config["bin_boundaries"] = boundaries
        layer = super().from_config(config)
        if boundaries is not None and layer.bin_boundaries is None:  # adapted, then saved
            layer._set_boundaries(boundaries)
        return layer


# Approximate quantiles (the same summary scheme as Keras, so adapt() learns the same bins):
# a summary is a (2, n) array of sorted sample values and the weight (count) each stands for.
def summarize(values, epsilon):
    """Every k-th sorted value (about 1 / epsilon of them), each weighing k samples."""
    values = np.sort(np.reshape(values, -1))
    step = max(values.size / (1.0 / epsilon), 1)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.full_like(picked, step)])


def merge_summaries(first, second, epsilon):
    merged = np.concatenate((first, second), axis=1)
    merged = merged[:, np.argsort(merged[0])]
    return compress_summary(merged, epsilon)


def compress_summary(summary, epsilon):
    """Re-sample a summary at cumulative-weight fractions epsilon, 2 epsilon, ..., 1."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    at = cumulative / cumulative[-1]
    values = np.interp(fractions, at, summary[0])
    new_cumulative = np.interp(fractions, at, cumulative)
    weights = np.diff(new_cumulative, prepend=0.0)
    return np.stack((values, weights)).astype(np.float32)
