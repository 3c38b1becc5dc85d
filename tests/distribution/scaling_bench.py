"""Data-parallel scaling on the bench's MNIST convnet (bench/mnist_cnn.py): samples per second of
`fit` in one process and in N processes under torchrun, on random 28x28 images.

    python tests/distribution/scaling_bench.py --compare [--repeats 3] [--processes 2]

runs, interleaved `--repeats` times: one process with N threads and with 1 thread
(OMP_NUM_THREADS), then N processes under torchrun (which gives each OMP_NUM_THREADS=1), once
with the same global batch (128 = N x 128/N) and once with the same batch per process
(N x 128). It prints the median throughputs and their ratios to the one-process runs.
Run without --compare (directly or under torchrun), it is one measurement: process 0 prints
the median epoch time as JSON.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def measure(samples, batch_size, epochs):
    import lamina
    from lamina import distribution

    layers = lamina.layers
    rng = np.random.RandomState(0)
    x = rng.rand(samples, 28, 28, 1).astype("float32")
    y = rng.randint(0, 10, size=samples)
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([
        lamina.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    class EpochTimes(lamina.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times = getattr(self, "times", []) + [time.perf_counter() - self.start]

    timer = EpochTimes()
    model.fit(x, y, batch_size=batch_size, epochs=epochs + 1, verbose=0, callbacks=[timer])
    seconds = statistics.median(timer.times[1:])  # the first epoch warms up
    if distribution.is_main_process():
        print(json.dumps({"processes": distribution.num_processes(), "epoch_s": seconds,
                          "samples_per_s": samples / seconds}), flush=True)


def run(command, threads=None):
    env = dict(os.environ)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    line = [line for line in result.stdout.splitlines() if line.startswith("{")][-1]
    return json.loads(line)["samples_per_s"]


def compare(args):
    script, processes = os.path.abspath(__file__), args.processes
    common = ["--samples", str(args.samples), "--epochs", str(args.epochs)]
    single = [sys.executable, script, "--batch-size", "128", *common]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                f"--nproc_per_node={processes}", script]
    runs = {  # name: (command, OMP_NUM_THREADS)
        f"1 process, {processes} threads, batch 128": (single, processes),
        "1 process, 1 thread, batch 128": (single, 1),
        f"{processes} processes, global batch 128": (torchrun + [
            "--batch-size", str(128 // processes), *common], None),
        f"{processes} processes, batch 128 per process": (torchrun + [
            "--batch-size", "128", *common], None),
    }
    results = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, (command, threads) in runs.items():
            results[name].append(run(command, threads))
    medians = {name: statistics.median(values) for name, values in results.items()}
    bases = list(medians.values())[:2]
    print(f"{'run':45s} {'samples/s':>10s} {'vs 1 process (N threads, 1 thread)':>36s}")
    for name, value in medians.items():
        print(f"{name:45s} {value:10.0f} {value / bases[0]:17.2f}x {value / bases[1]:8.2f}x")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.compare:
        compare(args)
    else:
        measure(args.samples, args.batch_size, args.epochs)


if __name__ == "__main__":
    main()
