"""Argument normalisation, padding arithmetic and layout moves shared by the convolution and
pooling layers.

Keras's "same" padding follows TensorFlow: the output has `ceil(size / stride)` positions and the
padding needed for that is split with the odd pixel at the *end* (right/bottom). PyTorch's
symmetric `padding=` cannot express that split, so the layers ask here how much to pad on each
side and pass symmetric padding to torch only when both sides agree.

All functions work on plain Python ints (shapes are known on the host), so nothing here ever
synchronises with an accelerator.
"""

import operator

_PADDINGS = ("valid", "same")


def as_int(value):
    """`value` as a Python int if it is an integer (numpy ints too, not bools), else None."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def normalize_tuple(value, rank, name, allow_zero=False):
    """`3` -> `(3, 3)` for rank 2; a sequence must have `rank` non-negative (or positive) ints."""
    if as_int(value) is not None:
        values = (as_int(value),) * rank
    else:
        try:
            values = tuple(as_int(v) for v in value)
        except TypeError:
            values = ()
        if len(values) != rank or None in values:
            raise ValueError(
                f"The `{name}` argument must be an integer or a tuple of {rank} integers. "
                f"Received: {name}={value!r}"
            )
    smallest = 0 if allow_zero else 1
    if any(v < smallest for v in values):
        requirement = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"The `{name}` argument must contain only integers {requirement}. "
            f"Received: {name}={value!r}"
        )
    return values


def normalize_padding(padding, allow_causal=False):
    """Lower-case and validate a padding mode ("valid", "same", and "causal" for Conv1D)."""
    allowed = _PADDINGS + (("causal",) if allow_causal else ())
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in allowed:
        raise ValueError(
            f"The `padding` argument must be one of {list(allowed)}. Received: padding={padding!r}"
        )
    return mode


def effective_kernel_size(kernel_size, dilation_rate):
    """The span a dilated kernel covers: `(k - 1) * d + 1`."""
    return (kernel_size - 1) * dilation_rate + 1


def same_padding(size, kernel_size, stride, dilation_rate=1):
    """(left, right) zero padding of Keras "same" for one spatial axis; right gets the extra one."""
    output_size = -(-size // stride)
    span = effective_kernel_size(kernel_size, dilation_rate)
    total = max((output_size - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def conv_output_size(size, kernel_size, stride, padding, dilation_rate=1):
    """Length of one spatial axis after a convolution or pooling; None stays None."""
    if size is None:
        return None
    if padding in ("same", "causal"):
        return -(-size // stride)
    return (size - effective_kernel_size(kernel_size, dilation_rate)) // stride + 1


def transpose_crops(kernel_size, stride, padding, output_padding, dilation_rate=1):
    """How much to cut from each end of torch's full transposed-convolution output (axis length
    `(size - 1) * stride + effective_kernel`) to get Keras's output (a negative right crop
    means the output is longer than the full one: torch's `output_padding` covers it).
    It does not depend on the input size, so layers compute it once.

    Keras defines the output through the explicit (left, right) padding its JAX backend gives
    `lax.conv_transpose`; cropping `effective_kernel - 1 - pad` from each side of the full output
    gives the same window (this is what Keras's own torch backend does).
    """
    kernel = effective_kernel_size(kernel_size, dilation_rate)
    if padding == "valid":
        extra = max(kernel, stride) - kernel if output_padding is None else output_padding
        left, right = kernel - 1, kernel - 1 + extra
    else:
        if output_padding is None:
            total = stride + kernel - 2  # output = size * stride
        else:
            total = kernel + kernel % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, kernel - 1)
        right = total - left
    return kernel - 1 - left, kernel - 1 - right


def transpose_output_size(size, kernel_size, stride, padding, output_padding, dilation_rate=1):
    """Length of one spatial axis after a Keras transposed convolution; None stays None."""
    if size is None:
        return None
    crop_left, crop_right = transpose_crops(kernel_size, stride, padding, output_padding,
                                            dilation_rate)
    full = (size - 1) * stride + effective_kernel_size(kernel_size, dilation_rate)
    return full - crop_left - crop_right


def torch_pad_argument(pairs):
    """[(left, right) per spatial axis, first axis first] -> the flat, last-axis-first list F.pad
    takes."""
    flat = []
    for left, right in reversed(pairs):
        flat += [left, right]
    return flat


def to_channels_first(x, data_format):
    """A view with channels at axis 1; for contiguous NHWC data this is torch's channels_last
    memory format, which convolution and pooling kernels consume without a copy."""
    return x.movedim(-1, 1) if data_format == "channels_last" else x


def from_channels_first(y, data_format):
    return y.movedim(1, -1) if data_format == "channels_last" else y
