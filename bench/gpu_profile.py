"""Where a fit step's time goes on a GPU: torch.profiler over a few steps of a workload's fit.

    python bench/gpu_profile.py --workload mlp [--jit] [--steps 40]

Prints the operators with the most host (CPU) time, the total device (CUDA) time, and the
host<->device synchronisations seen (each one stalls the launch queue).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", default="mlp")
    parser.add_argument("--jit", action="store_true")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rows", type=int, default=25)
    args = parser.parse_args()

    import torch
    from torch.profiler import ProfilerActivity, profile

    import lamina as keras

    batch = workloads.BATCH[args.workload]
    x, y = workloads.data(args.workload, batch * args.steps)
    model = workloads.keras_model(keras, args.workload)
    if args.jit:
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"],
                      jit_compile=True)
    model.fit(x, y, batch_size=batch, epochs=2, verbose=0)  # warm-up (and compilation)
    activities = [ProfilerActivity.CPU]
    if torch.cuda.is_available():
        activities.append(ProfilerActivity.CUDA)
        torch.cuda.synchronize()
    start = time.perf_counter()
    with profile(activities=activities) as prof:
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
    wall = time.perf_counter() - start
    events = prof.key_averages()
    print(f"{args.workload} jit={args.jit}: {1e3 * wall / args.steps:.3f} ms/step (profiled)")
    print(events.table(sort_by="self_cpu_time_total", row_limit=args.rows, max_name_column_width=60))
    syncs = {e.key: e.count for e in events
             if any(s in e.key for s in ("Synchronize", "cudaMemcpy", "item", "_local_scalar"))}
    print("synchronising calls:", syncs)


if __name__ == "__main__":
    main()
