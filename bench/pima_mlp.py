"""Training-step overhead: lamina's fit() against a hand-written PyTorch loop, same model and data.

The Pima MLP (8-12-8-1, batch 10) is tiny, so this measures the framework's per-step overhead,
which is what Keras-on-torch users complain about (keras#22561). Both runs happen in this process,
interleaved (the order rotates each repeat), several times; the report is the median time per
step and the median (and range) of the per-repeat ratios. Optionally Keras 3 is timed too when
it is importable (KERAS_BACKEND decides which backend).

    python bench/pima_mlp.py [--epochs 20] [--repeats 5] [--keras] [--clock cpu]

`--clock cpu` times this process's CPU time instead of the wall clock: on a machine shared with
other work it is far less disturbed (the runs are single-threaded, so on an idle machine the
two agree).
"""

import argparse
import statistics
import time

import numpy as np
import torch

import lamina
from lamina.datasets import pima_indians_diabetes


def lamina_run(x, y, epochs):
    model = lamina.Sequential([
        lamina.Input(shape=(8,)), lamina.layers.Dense(12, activation="relu"),
        lamina.layers.Dense(8, activation="relu"), lamina.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=10, verbose=0)
    return time.perf_counter() - start


def torch_run(x, y, epochs):
    model = torch.nn.Sequential(torch.nn.Linear(8, 12), torch.nn.ReLU(), torch.nn.Linear(12, 8),
                                torch.nn.ReLU(), torch.nn.Linear(8, 1), torch.nn.Sigmoid())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).reshape(-1, 1)
    loss_fn = torch.nn.BCELoss()
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(xt))
        total, correct = torch.zeros(()), torch.zeros(())
        for i in range(0, len(xt), 10):
            index = order[i:i + 10]
            xb, yb = xt[index], yt[index]
            pred = model(xb)
            loss = loss_fn(pred, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)  # a running loss and accuracy, as fit() keeps
            correct += ((pred.detach() > 0.5) == yb).sum()
    return time.perf_counter() - start


def keras_run(x, y, epochs):
    import keras

    model = keras.Sequential([
        keras.Input(shape=(8,)), keras.layers.Dense(12, activation="relu"),
        keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=10, verbose=0)  # exclude compilation/tracing
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=10, verbose=0)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keras", action="store_true")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.clock == "cpu":
        time.perf_counter = time.process_time  # every runner reads time.perf_counter
    x, y = pima_indians_diabetes.load_data()
    runners = {"lamina": lamina_run, "torch": torch_run}
    if args.keras:
        runners["keras"] = keras_run
    for run in runners.values():  # warm-up: first calls, lazy imports, allocator
        run(x, y, 1)
    names = list(runners)
    times = {name: [] for name in runners}
    for repeat in range(args.repeats):
        for name in names[repeat % len(names):] + names[:repeat % len(names)]:
            times[name].append(runners[name](x, y, args.epochs))
    steps = args.epochs * int(np.ceil(len(x) / 10))
    for name, values in times.items():
        ratios = sorted(a / b for a, b in zip(values, times["torch"]))
        print(f"{name:>7}: {statistics.median(values) / steps * 1e6:8.1f} us/step   "
              f"({statistics.median(ratios):.2f}x plain PyTorch, "
              f"range {ratios[0]:.2f}-{ratios[-1]:.2f} over {len(ratios)} repeats)")


if __name__ == "__main__":
    main()
