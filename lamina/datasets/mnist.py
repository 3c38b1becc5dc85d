"""The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grayscale.

Downloaded once from Keras's bucket into `~/.keras/datasets/mnist.npz` (see
`lamina.utils.get_file` for the cache). MNIST is by Yann LeCun and Corinna Cortes, derived from
NIST data, under the Creative Commons Attribution-Share Alike 3.0 license.
"""

import numpy as np

from lamina.utils import file_utils

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """Loads MNIST.

    Args:
        path: the file's name in the cache folder (`~/.keras/datasets/`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays; images of shape `(60000, 28, 28)`
        and `(10000, 28, 28)` with pixel values 0-255, labels (digits 0-9) of shape `(60000,)`
        and `(10000,)`.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()
        >>> x_train = x_train.astype("float32") / 255
    """
    path = file_utils.get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
