"""Text classification from scratch: IMDB review files to sentiment, with TextVectorization.

In the spirit of the keras.io example "Text classification from scratch": the reviews are read
from folders of `.txt` files with `keras.utils.text_dataset_from_directory`, a
`TextVectorization` layer (with a custom standardization that removes HTML line breaks and
punctuation) turns each review into a sequence of word ids, and a 1D convnet classifies it.
The vectorization is the model's first layer, so the trained model takes raw strings. Three
epochs give about 85% test accuracy.

Run it on the real data (the Large Movie Review Dataset, 80 MB, downloaded once into
~/.keras/datasets/ with `keras.utils.get_file`):

    python examples/text_classification.py            # 3 epochs
    python examples/text_classification.py --data-dir /path/to/aclImdb

`--smoke` writes a few hundred short generated reviews into a temporary folder and trains on
those (no download; a few seconds): the tests run it that way.
"""

import argparse
import os
import re
import string
import tempfile

import numpy as np

import lamina as keras
from lamina import layers

DATA_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]")


def download_imdb():
    """The aclImdb folder (train/ and test/, each with neg/ and pos/ review files)."""
    folder = keras.utils.get_file("aclImdb_v1", origin=DATA_URL, extract=True)
    return os.path.join(folder, "aclImdb")


def write_synthetic_reviews(directory, n_per_class=200, seed=0):
    """A small aclImdb look-alike: train/{neg,pos} and test/{neg,pos} folders of .txt reviews."""
    rng = np.random.RandomState(seed)
    filler = [f"word{i}" for i in range(60)]
    telling = {"pos": ["great", "wonderful", "loved", "superb"],
               "neg": ["awful", "boring", "hated", "dreadful"]}
    for split, count in (("train", n_per_class), ("test", n_per_class // 3)):
        for label, words in telling.items():
            os.makedirs(os.path.join(directory, split, label))
            for i in range(count):
                text = list(rng.choice(filler, 10)) + list(rng.choice(words, 5))
                rng.shuffle(text)
                review = " ".join(text).capitalize() + ". <br /><br />" + rng.choice(filler) + "!"
                with open(os.path.join(directory, split, label, f"{i}.txt"), "w") as f:
                    f.write(review)
    return directory


def custom_standardization(texts):
    """Lower-case, drop the `<br />` tags and the punctuation. lamina hands text layers NumPy
    arrays of str (Keras uses tf.strings ops here)."""
    lowercase = np.char.lower(texts)
    stripped_html = np.char.replace(lowercase, "<br />", " ")
    return np.array([PUNCTUATION.sub("", text) for text in stripped_html.ravel()]).reshape(
        stripped_html.shape)


def build_model(vectorize_layer, max_features, embedding_dim=128, filters=128):
    # A string input: the model reads raw reviews.
    inputs = keras.Input(shape=(1,), dtype="string")
    x = vectorize_layer(inputs)
    x = layers.Embedding(max_features, embedding_dim)(x)
    x = layers.Dropout(0.5)(x)
    # Conv1D + global max pooling.
    x = layers.Conv1D(filters, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Conv1D(filters, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.GlobalMaxPooling1D()(x)
    # A vanilla hidden layer.
    x = layers.Dense(filters, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    # A single unit with a sigmoid: the probability that the review is positive.
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return keras.Model(inputs, predictions)


def main(smoke=False, data_dir=None, epochs=None, verbose=1):
    keras.utils.set_random_seed(1337)
    with tempfile.TemporaryDirectory() as scratch:
        if smoke:
            data_dir = write_synthetic_reviews(os.path.join(scratch, "aclImdb"))
        elif data_dir is None:
            data_dir = download_imdb()
        return train(data_dir, smoke, epochs, verbose)


def train(data_dir, smoke, epochs, verbose):
    batch_size = 16 if smoke else 32
    # Only neg/ and pos/: the real train/ folder also holds unlabelled reviews in unsup/.
    raw_train_ds, raw_val_ds = keras.utils.text_dataset_from_directory(
        os.path.join(data_dir, "train"), class_names=["neg", "pos"], batch_size=batch_size,
        validation_split=0.2, subset="both", seed=1337,
    )
    raw_test_ds = keras.utils.text_dataset_from_directory(
        os.path.join(data_dir, "test"), class_names=["neg", "pos"], batch_size=batch_size
    )
    for text_batch, label_batch in raw_train_ds.take(1):
        for i in range(2):
            print(text_batch[i], label_batch[i])

    max_features = 200 if smoke else 20000
    sequence_length = 40 if smoke else 500
    vectorize_layer = layers.TextVectorization(
        standardize=custom_standardization,
        max_tokens=max_features,
        output_mode="int",
        output_sequence_length=sequence_length,
    )
    # Learn the vocabulary from the training texts only (no labels).
    vectorize_layer.adapt(raw_train_ds.map(lambda text, label: text))

    model = build_model(vectorize_layer, max_features, *((16, 16) if smoke else (128, 128)))
    model.summary()
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(raw_train_ds, validation_data=raw_val_ds,
                        epochs=epochs or (6 if smoke else 3), verbose=verbose)

    loss, accuracy = model.evaluate(raw_test_ds, verbose=0)
    print(f"Test accuracy: {accuracy:.3f}")
    print(model.predict(np.array([["What a wonderful movie, I loved it!"],
                                  ["Boring and dreadful."]]), verbose=0))
    return history, accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny generated data, no download")
    parser.add_argument("--data-dir", default=None, help="an aclImdb folder already on disk")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args()
    main(smoke=args.smoke, data_dir=args.data_dir, epochs=args.epochs, verbose=args.verbose)
