"""Fashion-MNIST: 60,000 training and 10,000 test images of clothes, 28x28 grayscale.

A drop-in replacement for MNIST with 10 classes: 0 T-shirt/top, 1 trouser, 2 pullover, 3 dress,
4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot (`CLASS_NAMES`). By Zalando SE, under
the MIT license. Downloaded once, as the four gzipped IDX files, into
`~/.keras/datasets/fashion-mnist/`.
"""

import gzip
import os

import numpy as np

from lamina.utils import file_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")

# IDX files start with a header: magic number and item count (labels, 8 bytes), plus the image
# height and width (images, 16 bytes). The data that follows is one byte per label or pixel.
_LABELS_HEADER, _IMAGES_HEADER = 8, 16


def load_data():
    """Loads Fashion-MNIST.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays; images of shape `(60000, 28, 28)`
        and `(10000, 28, 28)`, labels (0-9, see `CLASS_NAMES`) of shape `(60000,)` and
        `(10000,)`.
    """
    # Keras publishes no hash for these files, so none is checked.
    paths = [file_utils.get_file(name, origin=BASE_URL + name, cache_subdir=CACHE_SUBDIR)
             for name in FILES]
    y_train = _read_idx(paths[0], _LABELS_HEADER)
    x_train = _read_idx(paths[1], _IMAGES_HEADER).reshape(len(y_train), 28, 28)
    y_test = _read_idx(paths[2], _LABELS_HEADER)
    x_test = _read_idx(paths[3], _IMAGES_HEADER).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)


def _read_idx(path, header_size):
    with gzip.open(path, "rb") as f:
        content = f.read()
    # A writable copy: arrays over `bytes` are read-only, and torch.from_numpy warns about those.
    return np.frombuffer(content, np.uint8, offset=header_size).copy()
