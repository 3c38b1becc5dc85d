"""CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, in 10 classes.

Classes (`CLASS_NAMES`): 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse,
8 ship, 9 truck. Downloaded once from the University of Toronto (163 MB) and extracted into
`~/.keras/datasets/cifar-10-batches-py-target/`. A small fraction of the labels is known to be
wrong, as in any use of this data set.
"""

import os

import numpy as np

from lamina.datasets import cifar
from lamina.utils import file_utils

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
DIRNAME = "cifar-10-batches-py-target"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")


def load_data():
    """Loads CIFAR-10.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays; images of shape
        `(50000, 32, 32, 3)` and `(10000, 32, 32, 3)` (`(n, 3, 32, 32)` when
        `image_data_format()` is "channels_first"), labels (0-9) of shape `(50000, 1)` and
        `(10000, 1)`.
    """
    path = file_utils.get_file(fname=DIRNAME, origin=ORIGIN, extract=True, file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-10-batches-py")
    batches = [cifar.load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in batches])
    y_train = np.concatenate([np.asarray(labels, dtype="uint8") for _, labels in batches])
    x_test, y_test = cifar.load_batch(os.path.join(path, "test_batch"))
    y_test = np.asarray(y_test, dtype="uint8")
    return ((cifar.to_image_data_format(x_train), y_train.reshape(-1, 1)),
            (cifar.to_image_data_format(x_test.astype("uint8")), y_test.reshape(-1, 1)))
