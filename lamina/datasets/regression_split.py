"""The shuffle and train/test split shared by the housing data sets (Keras's, exactly)."""

import numpy as np


def check_test_split(name, test_split):
    if not 0 <= test_split < 1:
        raise ValueError(
            f"{name}.load_data: `test_split` is the fraction of samples kept for testing, "
            f"at least 0 and below 1. Received: test_split={test_split}"
        )


def shuffle_and_split(x, y, test_split, seed):
    """Shuffles rows with `RandomState(seed)`; the last `test_split` of them are the test set."""
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    split = int(len(x) * (1 - test_split))
    return (x[:split], y[:split]), (x[split:], y[split:])
