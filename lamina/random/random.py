"""Random sampling ops with Keras's signatures (`lamina.random.normal(shape, seed=...)`).

The `seed` argument, everywhere:
  * `None`: torch's global RNG (seed it with `lamina.utils.set_random_seed`);
  * an int: the same values on every call with that seed;
  * a `SeedGenerator`: a reproducible stream that advances with each call.
Samples are created on lamina's default device (lamina/devices.py); `dropout` and `shuffle` follow their input.
"""

import torch
import torch.nn.functional as F

from lamina import config
from lamina.devices import default_device
from lamina.ops.core import to_tensor
from lamina.symbolic.dispatch import keras_op
from lamina.random.seed_generator import SeedGenerator


def torch_generator(seed, device=None):
    """The torch.Generator that a Keras-style `seed` argument stands for (None = global RNG)."""
    if seed is None or (device is not None and torch.device(device).type == "meta"):
        return None  # meta tensors (shape inference) hold no values to draw
    if isinstance(seed, SeedGenerator):
        return seed.generator(device)
    if isinstance(seed, int) and not isinstance(seed, bool):
        device = device if device is not None else default_device()
        return torch.Generator(device=device).manual_seed(seed)
    raise ValueError(
        f"`seed` must be None, an int or a lamina.random.SeedGenerator. Received: seed={seed!r}."
    )


def _float_dtype(dtype, where):
    dtype = config.to_torch_dtype(dtype)
    if not dtype.is_floating_point:
        raise ValueError(f"{where} draws floats: `dtype` must be a float type. Received: {dtype}.")
    return dtype


def _shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(int(d) for d in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution."""
    samples = torch.empty(_shape(shape), dtype=_float_dtype(dtype, "normal"),
                          device=default_device())
    return samples.normal_(mean, stddev, generator=torch_generator(seed, samples.device))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from the uniform distribution on [minval, maxval)."""
    samples = torch.empty(_shape(shape), dtype=_float_dtype(dtype, "uniform"),
                          device=default_device())
    return samples.uniform_(minval, maxval, generator=torch_generator(seed, samples.device))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples restricted to [mean - 2 * stddev, mean + 2 * stddev], as in Keras."""
    samples = torch.empty(_shape(shape), dtype=_float_dtype(dtype, "truncated_normal"),
                          device=default_device())
    generator = torch_generator(seed, samples.device)
    return torch.nn.init.trunc_normal_(
        samples, mean, stddev, mean - 2 * stddev, mean + 2 * stddev, generator=generator
    )


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from [minval, maxval)."""
    device = default_device()
    return torch.randint(
        int(minval), int(maxval), _shape(shape), dtype=config.to_torch_dtype(dtype),
        generator=torch_generator(seed, device), device=device,
    )


@keras_op
def categorical(logits, num_samples, dtype="int32", seed=None):
    """`num_samples` class indices per row of `logits` (shape (batch, num_classes))."""
    logits = to_tensor(logits)
    if logits.ndim != 2:
        raise ValueError(
            "categorical expects logits of shape (batch_size, num_classes). "
            f"Received shape {tuple(logits.shape)}."
        )
    probabilities = torch.softmax(logits.float(), dim=-1)
    samples = torch.multinomial(
        probabilities, num_samples, replacement=True,
        generator=torch_generator(seed, logits.device),
    )
    return samples.to(config.to_torch_dtype(dtype))


@keras_op
def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each entry with probability `rate` and scale the rest by `1 / (1 - rate)`.

    `noise_shape` (broadcastable to the input shape, `None` entries = the input's size) drops
    whole slices together, e.g. `(batch, 1, channels)` drops channels for every time step.
    """
    inputs = to_tensor(inputs)
    if not 0 <= rate <= 1:
        raise ValueError(f"dropout: `rate` must be in [0, 1]. Received: rate={rate}.")
    if rate == 1:
        return torch.zeros_like(inputs)
    if noise_shape is None and seed is None:
        return F.dropout(inputs, p=rate, training=True)  # fused kernel, global RNG
    if noise_shape is None:
        noise_shape = inputs.shape
    noise_shape = tuple(d if n is None else n for n, d in zip(noise_shape, inputs.shape))
    keep = torch.empty(noise_shape, dtype=inputs.dtype, device=inputs.device)
    keep.bernoulli_(1 - rate, generator=torch_generator(seed, inputs.device))
    return inputs * keep / (1 - rate)


@keras_op
def shuffle(x, axis=0, seed=None):
    """`x` with its slices along `axis` in random order."""
    x = to_tensor(x)
    order = torch.randperm(
        x.shape[axis], generator=torch_generator(seed, x.device), device=x.device
    )
    return torch.index_select(x, axis, order)



def _parameter(value, shape, dtype, device):
    """A distribution parameter (scalar or array) broadcast to the sample shape."""
    return torch.as_tensor(value, dtype=dtype, device=device).expand(shape).contiguous()


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from the gamma distribution with concentration `alpha` and scale 1.

    `alpha` is a number or an array broadcastable to `shape`.
    """
    dtype = _float_dtype(dtype, "gamma")
    device = default_device()
    concentration = _parameter(alpha, _shape(shape), dtype, device)
    if bool((concentration <= 0).any()):
        raise ValueError(f"gamma: `alpha` must be positive. Received: alpha={alpha!r}.")
    # torch's gamma sampler (Marsaglia-Tsang) takes a generator only through this entry point.
    return torch._standard_gamma(concentration, generator=torch_generator(seed, device))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from the beta distribution: `X / (X + Y)` with `X ~ Gamma(alpha)`,
    `Y ~ Gamma(beta)` (both numbers or arrays broadcastable to `shape`)."""
    dtype = _float_dtype(dtype, "beta")
    device = default_device()
    shape = _shape(shape)
    a, b = _parameter(alpha, shape, dtype, device), _parameter(beta, shape, dtype, device)
    if bool((a <= 0).any()) or bool((b <= 0).any()):
        raise ValueError(f"beta: `alpha` and `beta` must be positive. Received: alpha={alpha!r}, "
                         f"beta={beta!r}.")
    generator = torch_generator(seed, device)
    x = torch._standard_gamma(a, generator=generator)
    y = torch._standard_gamma(b, generator=generator)
    return x / (x + y)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Number of successes in `counts` trials of probability `probabilities` (numbers or arrays
    broadcastable to `shape`), returned as floats of `dtype` as in Keras."""
    dtype = _float_dtype(dtype, "binomial")
    device = default_device()
    shape = _shape(shape)
    n = _parameter(counts, shape, torch.float32 if dtype == torch.float16 else dtype, device)
    p = _parameter(probabilities, shape, n.dtype, device)
    if bool((n < 0).any()) or bool(((p < 0) | (p > 1)).any()):
        raise ValueError("binomial: `counts` must be >= 0 and `probabilities` in [0, 1]. "
                         f"Received: counts={counts!r}, probabilities={probabilities!r}.")
    return torch.binomial(n, p, generator=torch_generator(seed, device)).to(dtype)
