"""Sentiment of IMDB movie reviews with a two-layer bidirectional LSTM.

As in the keras.io example "Bidirectional LSTM on IMDB": reviews come as lists of word ids
(`lamina.datasets.imdb`), `keras.utils.pad_sequences` cuts or pads them to 200 words, and an
embedding feeds two bidirectional LSTMs and a sigmoid unit. Two epochs give about 85% validation
accuracy.

Run it on the real data (17 MB, downloaded once into ~/.keras/datasets/ by
`lamina.datasets.imdb.load_data`):

    python examples/imdb_lstm.py                 # 2 epochs; a GPU helps a lot here
    python examples/imdb_lstm.py --epochs 4

`--smoke` trains a small version of the model on a few hundred generated reviews instead (no
download; a few seconds): the tests run it that way.
"""

import argparse

import numpy as np

import lamina as keras
from lamina import layers


def load_data(smoke=False, max_features=20000):
    """Reviews as lists of word ids (ids below `max_features`) and 0/1 labels."""
    if smoke:
        return synthetic_reviews(384, max_features), synthetic_reviews(128, max_features, seed=1)
    return keras.datasets.imdb.load_data(num_words=max_features)


def synthetic_reviews(n, vocabulary_size, seed=0):
    """Reviews of random "words" of varying length; positive ones use ids 10-19 often, negative
    ones ids 20-29. Like `imdb.load_data`: an object array of lists, and the labels."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 2, n)
    reviews = np.empty(n, dtype=object)
    for i, label in enumerate(labels):
        length = rng.randint(8, 40)
        words = rng.randint(30, vocabulary_size, length)
        telling = rng.rand(length) < 0.5
        words[telling] = rng.randint(10, 20, telling.sum()) + (0 if label else 10)
        reviews[i] = [1] + words.tolist()  # 1 marks the start of a review, as in the real data
    return reviews, labels


def build_model(max_features, embedding_dim=128, units=64):
    # Variable-length integer sequences; padding makes them equal within a batch.
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    x = layers.Bidirectional(layers.LSTM(units, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(units))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def main(smoke=False, epochs=None, verbose=1):
    keras.utils.set_random_seed(1337)
    # The smoke run uses the same code with smaller sizes.
    max_features, maxlen = (200, 40) if smoke else (20000, 200)
    embedding_dim, units = (16, 8) if smoke else (128, 64)

    (x_train, y_train), (x_val, y_val) = load_data(smoke, max_features)
    print(len(x_train), "training sequences")
    print(len(x_val), "validation sequences")
    # Keep the last `maxlen` words of longer reviews; pad shorter ones with zeros in front.
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
    x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)

    model = build_model(max_features, embedding_dim, units)
    model.summary()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs or (5 if smoke else 2),
                        validation_data=(x_val, y_val), verbose=verbose)
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny generated data, no download")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args()
    main(smoke=args.smoke, epochs=args.epochs, verbose=args.verbose)
