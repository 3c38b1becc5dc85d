"""torch.compile modes for lamina's compiled train step, against eager, on one GPU.

    python bench/gpu_compile_modes.py                      # mlp and transformer, every mode
    python bench/gpu_compile_modes.py --workloads mlp --modes eager,default --samples 1280

For each mode (eager; `compile(jit_compile=True)` with torch.compile's default mode; with
"reduce-overhead", i.e. CUDA graphs; ...) the same workload is built from the same seed and
fitted: one step first, then epochs; the first epoch reports warm-up, the median of the next
ones the epoch time. The sample count leaves a smaller last batch, so a second shape is
compiled (and, under CUDA graphs, recorded). Correctness: each mode's weights after the one
step (where they should agree with eager's to float32 rounding; the mlp has no dropout) and
after the first epoch (random labels: Adam's normalised steps amplify rounding differences
over many steps), and its losses, are compared with eager's. Prints one JSON
line per (workload, mode), with Inductor's count of graphs it refused to run as CUDA graphs.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402


def fit_epochs(keras, workload, mode, x, y, epochs):
    from lamina.trainers import step_compiler

    step_compiler.MODE = None if mode in ("eager", "default") else mode
    keras.utils.set_random_seed(0)
    model = workloads.keras_model(keras, workload)
    if mode != "eager":
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"],
                      jit_compile=True)
    batch = workloads.BATCH[workload]
    model.fit(x[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0, shuffle=False)
    one_step = [w.copy() for w in model.get_weights()]  # (rounding only: nothing to amplify)
    times, losses = [], []
    for epoch in range(epochs):
        start = time.perf_counter()
        history = model.fit(x, y, batch_size=workloads.BATCH[workload], epochs=1, verbose=0,
                            shuffle=False)
        times.append(time.perf_counter() - start)
        losses.append(history.history["loss"][0])
        if epoch == 0:
            first_weights = [w.copy() for w in model.get_weights()]
    return times, losses, one_step, first_weights


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", default="mlp,transformer")
    parser.add_argument("--modes", default="eager,default,reduce-overhead")
    parser.add_argument("--samples", type=int, default=12800 + 37)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()

    import torch
    import torch._dynamo.utils

    import lamina as keras

    for workload in args.workloads.split(","):
        x, y = workloads.data(workload, args.samples)
        reference = None
        for mode in args.modes.split(","):
            torch._dynamo.reset()
            torch._dynamo.utils.counters.clear()
            row = {"workload": workload, "mode": mode,
                   "device": torch.cuda.get_device_name() if torch.cuda.is_available()
                   else "cpu"}
            try:
                times, losses, one_step, weights = fit_epochs(keras, workload, mode, x, y,
                                                              args.epochs)
            except Exception as error:  # a mode that fails is a result too
                row["error"] = f"{type(error).__name__}: {str(error)[:300]}"
                print(json.dumps(row), flush=True)
                continue
            steady = sorted(times[1:])
            row.update(warmup_s=round(times[0], 3), epoch_s=round(steady[len(steady) // 2], 4),
                       losses=[round(v, 6) for v in losses])
            if reference is None:
                reference = (losses, one_step, weights)
            else:
                row["first_loss_diff"] = abs(losses[0] - reference[0][0])
                row["one_step_weight_diff"] = max(float(np.max(np.abs(a - b)))
                                                  for a, b in zip(one_step, reference[1]))
                row["one_epoch_weight_diff"] = max(float(np.max(np.abs(a - b)))
                                                   for a, b in zip(weights, reference[2]))
            row["cudagraph_skips"] = dict(torch._dynamo.utils.counters.get("inductor", {})).get(
                "cudagraph_skips", 0)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
