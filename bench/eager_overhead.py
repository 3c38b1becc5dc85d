"""Eager `fit` (and, with --compiled, `jit_compile=True`) against the hand-written PyTorch loop,
paired in one process (issue 12's target: per-step overhead at most 5% over the hand loop on
every workload).

peer.py runs each framework in its own process, which is the fair way to compare peak memory
and warm-up, but on a shared machine two processes minutes apart see different loads. Here
lamina's epochs and the hand loop's epochs (bench/peer_worker.py's, the same loop peer.py
times) alternate in one process, the order rotating every round, and the report is the median
of the per-round ratios of wall-clock epoch times. (Not CPU time: with several threads,
OpenMP's workers spin while they wait for work, and that spinning counts as CPU time in
proportion to the number of small operations, which is not what either loop computes.)
Compiled models are compiled before the first round (their warm-up is peer.py's business).

    python bench/eager_overhead.py [--workloads mlp,cnn,lstm,transformer] [--rounds 8]
                                   [--compiled]
"""

import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_worker  # noqa: E402
import workloads  # noqa: E402

import lamina  # noqa: E402

SAMPLES = {"mlp": 3200, "cnn": 1280, "lstm": 640, "transformer": 640}


def _lamina_epoch(workload, x, y, jit_compile):
    model = workloads.keras_model(lamina, workload)
    if jit_compile:
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"],
                      jit_compile=True)
    batch = workloads.BATCH[workload]
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


def paired(workload, rounds, samples, compiled):
    x, y = workloads.data(workload, samples)
    cpu = torch.device("cpu")
    runs = {"lamina": _lamina_epoch(workload, x, y, False),
            "hand loop": lambda: peer_worker._epochs_torch(workload, x, y, 1, cpu)}
    if compiled:
        runs["lamina compiled"] = _lamina_epoch(workload, x, y, True)
    for run in runs.values():  # warm-up: first calls, compilation, lazy imports, the allocator
        run()
    names = list(runs)
    times = {name: [] for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    summary = {}
    for name in names:
        ratios = sorted(a / b for a, b in zip(times[name], times["hand loop"]))
        summary[name] = (statistics.median(times[name]), statistics.median(ratios),
                         ratios[0], ratios[-1])
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="mlp,cnn,lstm,transformer")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--compiled", action="store_true",
                        help="also time lamina with compile(jit_compile=True)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads: {args.threads}; rounds: {args.rounds}; seconds per epoch (median)")
    print("| workload | samples | run | epoch (s) | vs hand loop (median, range) |")
    print("|---|---|---|---|---|")
    for workload in args.workloads.split(","):
        samples = SAMPLES[workload]
        for name, (epoch, ratio, low, high) in paired(workload, args.rounds, samples,
                                                      args.compiled).items():
            print(f"| {workload} | {samples} | {name} | {epoch:.3f} | "
                  f"{ratio:.2f}× ({low:.2f}–{high:.2f}) |", flush=True)


if __name__ == "__main__":
    main()
