"""The Boston housing prices regression data set (StatLib): 506 areas, 13 features each.

The targets are median home values in thousands of dollars (1970s). One of the features ("B")
encodes the proportion of Black residents, which is why this data set is discouraged except to
discuss bias in data; `california_housing.load_data(version="small")` is a replacement.
Downloaded once from Keras's bucket into `~/.keras/datasets/`.
"""

import numpy as np

from lamina.datasets import regression_split
from lamina.utils import file_utils

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston housing data, shuffled, then split.

    Args:
        path: the file's name in the cache folder (`~/.keras/datasets/`).
        test_split: fraction of the samples kept for the test split (0 <= test_split < 1).
        seed: seed of the shuffle before the split (numpy `RandomState`, as Keras).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float64 arrays, `x` of shape `(n, 13)`, `y` of
        shape `(n,)`; 404 training and 102 test samples by default.
    """
    regression_split.check_test_split("boston_housing", test_split)
    path = file_utils.get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return regression_split.shuffle_and_split(x, y, test_split, seed)
