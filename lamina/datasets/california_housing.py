"""The California housing prices regression data set (1990 census): 20,640 block groups.

The 8 features, in order: median income, median house age, average rooms, average bedrooms,
population, average occupancy, latitude, longitude. The target is the median house value in
dollars. Downloaded once from Keras's bucket into `~/.keras/datasets/`.
"""

import numpy as np

from lamina.datasets import regression_split
from lamina.utils import file_utils

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"
SMALL_SIZE = 600  # version="small": the file's first 600 rows


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California housing data, shuffled, then split.

    Args:
        version: "large" (all 20,640 samples) or "small" (the first 600, a stand-in for Boston
            housing).
        path: the file's name in the cache folder (`~/.keras/datasets/`).
        test_split: fraction of the samples kept for the test split (0 <= test_split < 1).
        seed: seed of the shuffle before the split (numpy `RandomState`, as Keras).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float arrays, `x` of shape `(n, 8)`, `y` of
        shape `(n,)`.
    """
    regression_split.check_test_split("california_housing", test_split)
    if version not in ("large", "small"):
        raise ValueError(
            "california_housing.load_data: `version` must be 'large' (20,640 samples) or "
            f"'small' (600). Received: version={version!r}"
        )
    path = file_utils.get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:SMALL_SIZE], y[:SMALL_SIZE]
    return regression_split.shuffle_and_split(x, y, test_split, seed)
