"""Orthogonal: a random orthogonal matrix (Saxe et al., 2014), the Keras default for recurrent
kernels."""

import math

import torch

from lamina.initializers.initializer import RandomInitializer
from lamina.initializers.initializer import standardize_shape
from lamina.registry.export import keras_export


@keras_export(
    "initializers.Orthogonal", "initializers.OrthogonalInitializer", "initializers.orthogonal",
)
class Orthogonal(RandomInitializer):
    """`gain` times a random orthogonal matrix from the QR decomposition of a normal sample.

    For shapes of rank > 2 the matrix is `(prod(shape[:-1]), shape[-1])`, reshaped afterwards.
    The rows are orthonormal if there are fewer rows than columns, otherwise the columns are.

    Args:
        gain: Multiplier of the orthogonal matrix.
        seed: An int makes every call return the same values; None uses the global RNG.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "Orthogonal initializer needs a shape of rank 2 or more. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        rows, columns = math.prod(shape[:-1]), shape[-1]
        sample, dtype = self._empty((max(rows, columns), min(rows, columns)), dtype)
        sample.normal_(generator=self._generator())
        q, r = torch.linalg.qr(sample)
        # Fixing the signs by R's diagonal makes Q uniformly distributed over orthogonal matrices.
        q = q * torch.sign(torch.diagonal(r))
        if rows < columns:
            q = q.T
        return (self.gain * q).reshape(shape).to(dtype).contiguous()

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}
