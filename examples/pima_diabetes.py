"""The classic first Keras program, on lamina: predict diabetes onset from 8 medical measurements.

This is the model of the well-known Keras tutorial (Dense 12 relu / 8 relu / 1 sigmoid, binary
crossentropy, adam, 150 epochs of batch 10), with only the import changed. Run it with
`python examples/pima_diabetes.py`; pass `--epochs N` for a quicker run.
"""

import argparse

import lamina as keras
from lamina.datasets import pima_indians_diabetes


def main(epochs=150, verbose=1):
    keras.utils.set_random_seed(7)
    x, y = pima_indians_diabetes.load_data()

    model = keras.Sequential([
        keras.Input(shape=(8,)),
        keras.layers.Dense(12, activation="relu"),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.summary()
    model.fit(x, y, epochs=epochs, batch_size=10, verbose=verbose)

    _, accuracy = model.evaluate(x, y, verbose=0)
    print(f"Accuracy: {accuracy * 100:.2f}%")

    predictions = (model.predict(x, verbose=0) > 0.5).astype(int)
    for features, predicted, expected in zip(x[:5], predictions[:5, 0], y[:5]):
        print(f"{features.tolist()} => {predicted} (expected {int(expected)})")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--verbose", type=int, default=1,
                        help="1: a progress bar per epoch, 2: one line per epoch, 0: silent")
    args = parser.parse_args()
    main(args.epochs, args.verbose)
