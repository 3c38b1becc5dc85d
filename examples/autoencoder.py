"""A convolutional autoencoder that removes noise from MNIST digits.

As in the keras.io example "Convolutional autoencoder for image denoising": an encoder of two
convolution + max-pooling blocks compresses each 28x28 image to 7x7x32, a decoder of two
transposed convolutions brings it back to 28x28. The model is first trained to reproduce clean
digits, then to map noisy digits to clean ones. Predictions are saved side by side in a PNG
when matplotlib is installed.

Run it on the real data (MNIST, 11 MB, downloaded once into ~/.keras/datasets/ by
`lamina.datasets.mnist.load_data`):

    python examples/autoencoder.py                 # 50 + 100 epochs, as on keras.io
    python examples/autoencoder.py --epochs 5      # both phases 5 epochs

`--smoke` trains a few epochs on a few hundred generated images (no download; a few seconds):
the tests run it that way.
"""

import argparse

import numpy as np

import lamina as keras
from lamina import layers


def preprocess(array):
    """Scale to [0, 1] and reshape to (n, 28, 28, 1)."""
    array = array.astype("float32") / 255.0
    return np.reshape(array, (len(array), 28, 28, 1))


def noise(array, seed=0):
    """Add random Gaussian noise to each image, keeping values in [0, 1]."""
    noise_factor = 0.4
    rng = np.random.default_rng(seed)
    noisy_array = array + noise_factor * rng.normal(loc=0.0, scale=1.0, size=array.shape)
    return np.clip(noisy_array, 0.0, 1.0).astype("float32")


def synthetic_images(n, seed=0):
    """Stand-in for MNIST: uint8 28x28 images of one or two bright bars."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), dtype="uint8")
    for image in images:
        row, column = rng.integers(4, 20, size=2)
        image[row:row + 4, 4:24] = 255
        if rng.random() < 0.5:
            image[4:24, column:column + 4] = 255
    return images


def load_data(smoke=False):
    if smoke:
        return synthetic_images(256), synthetic_images(64, seed=1)
    (train_data, _), (test_data, _) = keras.datasets.mnist.load_data()
    return train_data, test_data


def build_autoencoder():
    inputs = keras.Input(shape=(28, 28, 1))
    # Encoder
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(inputs)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    # Decoder
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    outputs = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = keras.Model(inputs, outputs)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    return autoencoder


def save_comparison(rows, path):
    """Save rows of images (one row per array) as a PNG; skipped without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no picture")
        return
    n = rows[0].shape[0]
    figure, axes = plt.subplots(len(rows), n, figsize=(2 * n, 2 * len(rows)), squeeze=False)
    for row, images in zip(axes, rows):
        for axis, image in zip(row, images):
            axis.imshow(image.reshape(28, 28), cmap="gray")
            axis.axis("off")
    figure.savefig(path)
    plt.close(figure)
    print("saved", path)


def main(smoke=False, epochs=None, verbose=1, picture="autoencoder.png"):
    keras.utils.set_random_seed(1337)
    train_data, test_data = load_data(smoke)
    train_data, test_data = preprocess(train_data), preprocess(test_data)
    noisy_train_data, noisy_test_data = noise(train_data), noise(test_data, seed=1)

    autoencoder = build_autoencoder()
    autoencoder.summary()
    batch_size = 32 if smoke else 128

    # 1. Reproduce clean images.
    autoencoder.fit(train_data, train_data, epochs=epochs or (3 if smoke else 50),
                    batch_size=batch_size, shuffle=True,
                    validation_data=(test_data, test_data), verbose=verbose)
    # 2. Denoise: noisy images in, clean images out.
    history = autoencoder.fit(noisy_train_data, train_data,
                              epochs=epochs or (5 if smoke else 100), batch_size=batch_size,
                              shuffle=True, validation_data=(noisy_test_data, test_data),
                              verbose=verbose)

    denoised = autoencoder.predict(noisy_test_data, verbose=0)
    print("mean absolute error, noisy vs clean:   ", np.abs(noisy_test_data - test_data).mean())
    print("mean absolute error, denoised vs clean:", np.abs(denoised - test_data).mean())
    if picture:
        save_comparison([noisy_test_data[:8], denoised[:8]], picture)
    return history, denoised, (noisy_test_data, test_data)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny generated data, no download")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--picture", default="autoencoder.png",
                        help="where to save noisy/denoised examples ('' for none)")
    args = parser.parse_args()
    main(smoke=args.smoke, epochs=args.epochs, verbose=args.verbose, picture=args.picture)
