"""A simple convnet on the MNIST digits, written as in the keras.io example "Simple MNIST convnet".

Two convolution + max-pooling blocks, dropout and a softmax classifier (about 35,000
parameters); it reaches about 99% test accuracy in 15 epochs.

Run it on the real data (MNIST, 11 MB, is downloaded once into ~/.keras/datasets/ by
`lamina.datasets.mnist.load_data`):

    python examples/mnist_convnet.py                # 15 epochs (a GPU is used when present)
    python examples/mnist_convnet.py --epochs 2

`--smoke` trains for a couple of epochs on a few hundred generated "digits" instead (no
download; a few seconds): the tests run it that way.
"""

import argparse

import numpy as np

import lamina as keras
from lamina import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)


def load_data(smoke=False):
    if smoke:
        return synthetic_digits(256), synthetic_digits(64, seed=1)
    return keras.datasets.mnist.load_data()


def synthetic_digits(n, seed=0):
    """Stand-in for MNIST: uint8 28x28 images with a bright square at a place set by the class."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, NUM_CLASSES, n)
    x = rng.randint(0, 64, size=(n, 28, 28))
    for image, label in zip(x, y):
        row, column = divmod(int(label), 5)
        image[4 + row * 12:10 + row * 12, 1 + column * 5:6 + column * 5] += 191
    return x.astype("uint8"), y


def preprocess(x, y):
    # Scale images to the [0, 1] range and give them a channel axis: (n, 28, 28, 1).
    x = np.expand_dims(x.astype("float32") / 255, -1)
    return x, keras.utils.to_categorical(y, NUM_CLASSES)


def build_model():
    return keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ])


def main(smoke=False, epochs=None, batch_size=None, verbose=1):
    keras.utils.set_random_seed(1337)
    (x_train, y_train), (x_test, y_test) = load_data(smoke)
    x_train, y_train = preprocess(x_train, y_train)
    x_test, y_test = preprocess(x_test, y_test)
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    model = build_model()
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=batch_size or (32 if smoke else 128),
                        epochs=epochs or (3 if smoke else 15), validation_split=0.1,
                        verbose=verbose)

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
