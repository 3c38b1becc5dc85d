"""VarianceScaling and its named cases: Glorot (Xavier), He (Kaiming) and LeCun.

The variance of the samples is `scale / n`, where `n` is the fan-in, the fan-out or their mean,
computed from the weight shape as Keras does (`compute_fans`): this is why a Keras `Dense` or
`Conv2D` starts from different weights than the same `torch.nn` layer (PyTorch uses
`kaiming_uniform_(a=sqrt(5))`).
"""

import math
import numbers

from lamina.initializers.initializer import RandomInitializer
from lamina.initializers.initializer import standardize_shape
from lamina.initializers.random_initializers import sample_normal
from lamina.initializers.random_initializers import sample_truncated_normal
from lamina.initializers.random_initializers import sample_uniform
from lamina.registry.export import keras_export

# Standard deviation of a unit normal truncated to [-2, 2]: dividing by it gives the truncated
# samples the variance that was asked for.
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


def compute_fans(shape, input_axes=None, output_axes=None):
    """`(fan_in, fan_out)` of a weight of this shape, as Keras counts them.

    2D `(in, out)`; kernels `(..., in, out)` multiply both by the receptive field (the product of
    the leading dimensions); 1D gives `(n, n)` and a scalar `(1, 1)`. `input_axes` and
    `output_axes` name the axes explicitly (EinsumDense and MultiHeadAttention pass them).
    """
    shape = standardize_shape(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[axis] for axis in input_axes), math.prod(
            shape[axis] for axis in output_axes
        )
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


@keras_export("initializers.VarianceScaling", "initializers.variance_scaling")
class VarianceScaling(RandomInitializer):
    """Samples with variance `scale / n`, `n` chosen by `mode`.

    - "truncated_normal": normal with stddev `sqrt(scale / n) / 0.8796...`, cut at 2 stddev.
    - "untruncated_normal": normal with stddev `sqrt(scale / n)`.
    - "uniform": uniform on `[-limit, limit]`, `limit = sqrt(3 * scale / n)`.

    Args:
        scale: Positive scaling factor.
        mode: "fan_in", "fan_out" or "fan_avg".
        distribution: "truncated_normal", "untruncated_normal" or "uniform" ("normal" is read
            as "truncated_normal", as in Keras).
        seed: An int makes every call return the same values; None uses the global RNG.
        input_axes, output_axes: Optional axes to count the fans over (see `compute_fans`).
    """

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0:
            raise ValueError(f"`scale` must be a positive number. Received: scale={scale!r}.")
        if mode not in _MODES:
            raise ValueError(f"Invalid `mode`: {mode!r}. Expected one of {list(_MODES)}.")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution`: {distribution!r}. Expected one of {list(_DISTRIBUTIONS)}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        tensor, dtype = self._empty(shape, dtype)
        variance = self.scale / max(1.0, self._fan(tensor.shape))
        generator = self._generator()
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV
            tensor = sample_truncated_normal(tensor, 0.0, stddev, generator)
        elif self.distribution == "untruncated_normal":
            tensor = sample_normal(tensor, 0.0, math.sqrt(variance), generator)
        else:
            limit = math.sqrt(3.0 * variance)
            tensor = sample_uniform(tensor, -limit, limit, generator)
        return tensor.to(dtype)

    def _fan(self, shape):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        if self.mode == "fan_in":
            return fan_in
        if self.mode == "fan_out":
            return fan_out
        return (fan_in + fan_out) / 2.0

    def get_config(self):
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _NamedVarianceScaling(VarianceScaling):
    """A VarianceScaling whose scale, mode and distribution are fixed by its name."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "truncated_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(
            scale=self.SCALE,
            mode=self.MODE,
            distribution=self.DISTRIBUTION,
            seed=seed,
            input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


@keras_export("initializers.GlorotUniform", "initializers.glorot_uniform")
class GlorotUniform(_NamedVarianceScaling):
    """Glorot (Xavier) uniform: `limit = sqrt(6 / (fan_in + fan_out))`. Keras's default kernel
    initializer."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_avg", "uniform"


@keras_export("initializers.GlorotNormal", "initializers.glorot_normal")
class GlorotNormal(_NamedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal, `stddev = sqrt(2 / (fan_in + fan_out))`."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_avg", "truncated_normal"


@keras_export("initializers.HeUniform", "initializers.he_uniform")
class HeUniform(_NamedVarianceScaling):
    """He (Kaiming) uniform: `limit = sqrt(6 / fan_in)`."""

    SCALE, MODE, DISTRIBUTION = 2.0, "fan_in", "uniform"


@keras_export("initializers.HeNormal", "initializers.he_normal")
class HeNormal(_NamedVarianceScaling):
    """He (Kaiming) normal: truncated normal, `stddev = sqrt(2 / fan_in)`."""

    SCALE, MODE, DISTRIBUTION = 2.0, "fan_in", "truncated_normal"


@keras_export("initializers.LecunUniform", "initializers.lecun_uniform")
class LecunUniform(_NamedVarianceScaling):
    """LeCun uniform: `limit = sqrt(3 / fan_in)`."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "uniform"


@keras_export("initializers.LecunNormal", "initializers.lecun_normal")
class LecunNormal(_NamedVarianceScaling):
    """LeCun normal: truncated normal, `stddev = sqrt(1 / fan_in)`."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "truncated_normal"
