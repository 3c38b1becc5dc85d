"""`set_random_seed`: one call that makes a lamina program reproducible."""

import random
import sys

import numpy as np
import torch
from lamina.registry.export import keras_export


@keras_export("utils.set_random_seed")
def set_random_seed(seed):
    """Seed Python's `random`, NumPy's global generator and torch (CPU and every CUDA device).

    Unseeded lamina draws (weight initializers, dropout, `lamina.random.*(seed=None)`,
    `SeedGenerator()` without a seed) all come from these generators. When the program has
    imported TensorFlow (for a tf.data pipeline, say), TensorFlow's global seed is set too, as
    Keras does: shuffles and random maps in the pipeline then repeat from run to run.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(
            f"set_random_seed expects an integer seed. Received: seed={seed!r} "
            f"(of type {type(seed).__name__})."
        )
    if seed < 0:
        raise ValueError(f"set_random_seed expects a non-negative seed. Received: seed={seed}.")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None and hasattr(tensorflow, "random"):
        tensorflow.random.set_seed(seed)
