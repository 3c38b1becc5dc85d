"""CIFAR-100: 50,000 training and 10,000 test colour images, 32x32, in 100 classes.

The 100 "fine" classes are grouped into 20 "coarse" superclasses; `label_mode` chooses which
labels `load_data` returns. Downloaded once from the University of Toronto (161 MB) and
extracted into `~/.keras/datasets/cifar-100-python-target/`.
"""

import os

import numpy as np

from lamina.datasets import cifar
from lamina.utils import file_utils

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
DIRNAME = "cifar-100-python-target"


def load_data(label_mode="fine"):
    """Loads CIFAR-100.

    Args:
        label_mode: "fine" (100 classes, labels 0-99) or "coarse" (20 superclasses, 0-19).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: images uint8 of shape `(50000, 32, 32, 3)` and
        `(10000, 32, 32, 3)` (`(n, 3, 32, 32)` when `image_data_format()` is
        "channels_first"); labels int64 of shape `(50000, 1)` and `(10000, 1)`.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            "cifar100.load_data: `label_mode` must be 'fine' (100 classes) or 'coarse' (20 "
            f"superclasses). Received: label_mode={label_mode!r}"
        )
    path = file_utils.get_file(fname=DIRNAME, origin=ORIGIN, extract=True, file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-100-python")
    splits = []
    for name in ("train", "test"):
        images, labels = cifar.load_batch(os.path.join(path, name), f"{label_mode}_labels")
        # Labels stay int64, as Keras returns them for CIFAR-100 (uint8 for CIFAR-10).
        splits.append((cifar.to_image_data_format(images),
                       np.asarray(labels, dtype="int64").reshape(-1, 1)))
    return tuple(splits)
