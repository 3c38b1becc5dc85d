"""Eager `fit` against the hand-written PyTorch loop, paired in one process (issue 12's target:
per-step overhead at most 5% over the hand loop on every workload).

peer.py runs each framework in its own process, which is the fair way to compare peak memory
and warm-up, but on a shared machine two processes minutes apart see different loads. Here
lamina's epoch and the hand loop's epoch (bench/peer_worker.py's, the same one peer.py times)
alternate in one process, the order flipping every round, and the report is the median of the
per-round ratios of wall-clock epoch times. (Not CPU time: with several threads, OpenMP's
workers spin while they wait for work, and that spinning counts as CPU time in proportion to
the number of small operations, which is not what either loop computes.)

    python bench/eager_overhead.py [--workloads mlp,cnn,lstm,transformer] [--rounds 8]
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


def paired(workload, rounds, samples):
    x, y = workloads.data(workload, samples)
    batch = workloads.BATCH[workload]
    model = workloads.keras_model(lamina, workload)
    cpu = torch.device("cpu")

    def lamina_epoch():
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)

    def torch_epoch():
        peer_worker._epochs_torch(workload, x, y, 1, cpu)

    lamina_epoch(), torch_epoch()  # warm-up: first calls, lazy imports, the allocator
    times = {lamina_epoch: [], torch_epoch: []}
    for round_ in range(rounds):
        for run in (lamina_epoch, torch_epoch) if round_ % 2 == 0 else (torch_epoch, lamina_epoch):
            start = time.perf_counter()
            run()
            times[run].append(time.perf_counter() - start)
    ratios = sorted(a / b for a, b in zip(times[lamina_epoch], times[torch_epoch]))
    return (statistics.median(times[lamina_epoch]), statistics.median(times[torch_epoch]),
            statistics.median(ratios), ratios[0], ratios[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="mlp,cnn,lstm,transformer")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads: {args.threads}; rounds: {args.rounds}; seconds per epoch (median)")
    print("| workload | samples | lamina | hand loop | lamina / hand loop (median, range) |")
    print("|---|---|---|---|---|")
    for workload in args.workloads.split(","):
        samples = SAMPLES[workload]
        lam, hand, ratio, low, high = paired(workload, args.rounds, samples)
        print(f"| {workload} | {samples} | {lam:.3f} | {hand:.3f} | "
              f"{ratio:.2f}× ({low:.2f}–{high:.2f}) |", flush=True)


if __name__ == "__main__":
    main()
