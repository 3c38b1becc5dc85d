"""Data and models shared by the data-parallel worker (run under torchrun) and the tests that
check it against single-process runs."""

import numpy as np

import lamina
from lamina import layers, regularizers

NUM_PROCESSES = 2


def regression_data(num_samples, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(num_samples, 3)).astype("float32")
    y = np.stack([x @ np.array([1.0, -2.0, 0.5]), x[:, 0] * x[:, 1]], axis=1).astype("float32")
    return x, y


def regression_model():
    """Two Dense layers, one with an L2 penalty (a loss term that every process adds whole)."""
    return lamina.Sequential([
        layers.Input((3,)),
        layers.Dense(4, activation="tanh", kernel_regularizer=regularizers.L2(0.01)),
        layers.Dense(2),
    ])


def batchnorm_model(synchronized=False):
    return lamina.Sequential([layers.Input((3,)), layers.Dense(4),
                              layers.BatchNormalization(synchronized=synchronized),
                              layers.Dense(2)])


def id_data(num_samples):
    """Samples whose first feature is their index, to see who read what."""
    x = np.zeros((num_samples, 3), "float32")
    x[:, 0] = np.arange(num_samples)
    y = np.zeros((num_samples, 2), "float32")
    return x, y


# The runs compared with a single process: (name, optimizer, samples, per-process batch, epochs).
EXACT_RUNS = [
    ("sgd_minibatch_padding", "sgd", 9, 2, 2),  # global batches 4, 4, 1: a padding step
    ("sgd_full_batch", "sgd", 8, 4, 3),
    ("adam_minibatch_uneven", "adam", 11, 2, 2),  # global batches 4, 4, 3: parts 2 and 1
    ("adam_full_batch", "adam", 8, 4, 3),
]


def compile_regression(model, optimizer):
    optimizer = {"sgd": lambda: lamina.optimizers.SGD(0.1),
                 "adam": lambda: lamina.optimizers.Adam(0.05)}[optimizer]()
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
