"""A compute-bound case: the Keras "simple MNIST convnet" on random 28x28 images.

lamina's fit against a hand-written PyTorch loop (same architecture, channels-last data, Adam)
and, with --keras, Keras 3 on its current backend (KERAS_BACKEND). Same data, batch 128,
interleaved repeats, ratio of medians.

    python bench/mnist_cnn.py [--samples 2048] [--epochs 1] [--repeats 3] [--keras]
"""

import argparse
import statistics
import time

import numpy as np
import torch

import lamina


def lamina_run(x, y, epochs):
    layers = lamina.layers
    model = lamina.Sequential([
        lamina.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:256], y[:256], batch_size=128, epochs=1, verbose=0)  # warm-up
    start = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0)
    return time.perf_counter() - start


def torch_run(x, y, epochs):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                          nn.Linear(1600, 10))
    optimizer = torch.optim.Adam(model.parameters(), eps=1e-7, foreach=True)
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
    yt = torch.from_numpy(y).long()
    model.train()

    def epoch():
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), 128):
            index = order[i:i + 128]
            logits = model(xt[index])
            loss = nn.functional.cross_entropy(logits, yt[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    epoch()  # warm-up
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return time.perf_counter() - start


def keras_run(x, y, epochs):
    import keras

    layers = keras.layers
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:256], y[:256], batch_size=128, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keras", action="store_true")
    args = parser.parse_args()
    rng = np.random.RandomState(0)
    x = rng.rand(args.samples, 28, 28, 1).astype("float32")
    y = rng.randint(0, 10, args.samples)
    runners = {"lamina": lamina_run, "torch": torch_run}
    if args.keras:
        runners["keras"] = keras_run
    times = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, run in runners.items():
            times[name].append(run(x, y, args.epochs))
    steps = args.epochs * int(np.ceil(args.samples / 128))
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, median in medians.items():
        print(f"{name:>7}: {median / steps * 1e3:8.1f} ms/step   "
              f"({median / medians['torch']:.2f}x plain PyTorch)")


if __name__ == "__main__":
    main()
