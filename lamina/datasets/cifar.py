"""Reading the batch files of CIFAR-10 and CIFAR-100 (the "python version" archives).

Each batch file is a pickled dict with bytes keys: `b"data"`, a uint8 array of shape
`(n, 3072)` (each row the red, green then blue 32x32 planes), and the label lists
(`b"labels"`; `b"fine_labels"` and `b"coarse_labels"` for CIFAR-100). The pickles come from a
download, so they are read with `safe_pickle`'s restricted unpickler.
"""

import numpy as np

from lamina import config
from lamina.datasets import safe_pickle


def load_batch(fpath, label_key="labels"):
    """`(data, labels)` of one batch file: data uint8 `(n, 3, 32, 32)`, labels a list of ints."""
    with open(fpath, "rb") as f:
        # encoding="bytes": the files were pickled by Python 2, whose strings arrive as bytes.
        batch = safe_pickle.load_pickle(f, encoding="bytes")
    batch = {key.decode("utf8") if isinstance(key, bytes) else key: value
             for key, value in batch.items()}
    data = batch["data"]
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def to_image_data_format(images):
    """Channels-first batches as lamina's `image_data_format()` asks (contiguous either way)."""
    if config.image_data_format() == "channels_last":
        images = images.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images)
