"""Unique default names (`dense`, `dense_1`, ...) as Keras gives them."""

import collections
import re

_name_counts = collections.Counter()


def to_snake_case(name):
    """Keras's rule: `Conv2D` -> `conv2d`, `MaxPooling2D` -> `max_pooling2d`, `LSTM` -> `lstm`."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    """`base` the first time, then `base_1`, `base_2`, ... until `reset_names()`."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def reset_names():
    """Forget the names handed out so far (part of `clear_session()`)."""
    _name_counts.clear()
