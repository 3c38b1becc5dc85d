"""A multilayer perceptron on the MNIST digits: the classic Keras `mnist_mlp.py`, on lamina.

Two hidden layers of 512 units with dropout, trained with RMSprop on the 28x28 images
flattened to 784 pixels; it reaches about 98% test accuracy in 20 epochs.

Run it on the real data (MNIST, 11 MB, is downloaded once into ~/.keras/datasets/ by
`lamina.datasets.mnist.load_data`):

    python examples/mnist_mlp.py                 # 20 epochs
    python examples/mnist_mlp.py --epochs 3

`--smoke` trains for one epoch on a few hundred generated "digits" instead (no download; a
few seconds): the tests run it that way.
"""

import argparse

import numpy as np

import lamina as keras
from lamina import layers

NUM_CLASSES = 10


def load_data(smoke=False):
    """MNIST as float vectors in [0, 1] and one-hot labels: (x_train, y_train), (x_test, y_test)."""
    if smoke:
        (x_train, y_train), (x_test, y_test) = synthetic_digits(512), synthetic_digits(128, seed=1)
    else:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255
    x_test = x_test.reshape(-1, 784).astype("float32") / 255
    y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)
    y_test = keras.utils.to_categorical(y_test, NUM_CLASSES)
    return (x_train, y_train), (x_test, y_test)


def synthetic_digits(n, seed=0):
    """Stand-in for MNIST: uint8 28x28 images whose class is the brightest of 10 vertical bands."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, NUM_CLASSES, n)
    x = rng.randint(0, 128, size=(n, 28, 28))
    for image, label in zip(x, y):
        image[:, 2 + label * 2:5 + label * 2] += 127
    return x.astype("uint8"), y


def build_model():
    return keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ])


def main(smoke=False, epochs=None, batch_size=128, verbose=1):
    keras.utils.set_random_seed(1337)
    (x_train, y_train), (x_test, y_test) = load_data(smoke)
    print(f"{len(x_train)} train samples, {len(x_test)} test samples")

    model = build_model()
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(),
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=batch_size,
                        epochs=epochs or (1 if smoke else 20), verbose=verbose,
                        validation_data=(x_test, y_test))

    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return history, score


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny generated data, no download")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args()
    main(smoke=args.smoke, epochs=args.epochs, verbose=args.verbose)
