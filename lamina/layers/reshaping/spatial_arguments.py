"""Argument normalisation for the spatial reshaping layers (cropping, padding, upsampling)."""

from lamina import config


def int_tuple(value, size, name, where, allow_zero=False):
    """`2` -> `(2, 2)`; a sequence must hold `size` ints, all > 0 (or >= 0 with allow_zero)."""
    values = (value,) * size if _is_int(value) else _as_tuple(value)
    if values is None or len(values) != size or not all(_is_int(v) for v in values):
        raise ValueError(
            f"{where}: `{name}` must be an integer or a tuple of {size} integers. "
            f"Received: {name}={value!r}"
        )
    low = 0 if allow_zero else 1
    if any(v < low for v in values):
        raise ValueError(
            f"{where}: every value of `{name}` must be {'>= 0' if allow_zero else '> 0'}. "
            f"Received: {name}={value!r}"
        )
    return tuple(int(v) for v in values)


def amount_pairs(value, rank, name, where):
    """Cropping/padding amounts as one `(before, after)` pair per spatial axis.

    Accepts an int (same amount everywhere), `rank` ints (symmetric per axis) or `rank` pairs.
    For rank 1 a single pair `(before, after)` is also the per-axis form.
    """
    if rank == 1:
        return (int_tuple(value, 2, name, where, allow_zero=True),)
    if _is_int(value):
        return (int_tuple(value, 2, name, where, allow_zero=True),) * rank
    entries = _as_tuple(value)
    if entries is None or len(entries) != rank:
        raise ValueError(
            f"{where}: `{name}` must be an int, a tuple of {rank} ints or a tuple of {rank} "
            f"(before, after) pairs. Received: {name}={value!r}"
        )
    return tuple(int_tuple(entry, 2, f"{name}[{i}]", where, allow_zero=True)
                 for i, entry in enumerate(entries))


def spatial_axes(rank, data_format):
    """Positions of the spatial axes in a (batch, ..., channels) or (batch, channels, ...) input."""
    first = 2 if data_format == "channels_first" else 1
    return list(range(first, first + rank))


def data_format_or_default(data_format):
    return config.standardize_data_format(data_format)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _as_tuple(value):
    try:
        return tuple(value)
    except TypeError:
        return None
