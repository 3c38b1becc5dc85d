"""The aten operations one training step dispatches: lamina's eager `fit` against the hand
loop of peer_worker.py, per workload (issue 12).

On a GPU nearly every operation is a kernel launch, and the eager step is host-bound (bench/
README.md, "GPU runs"), so the count is a proxy for the GPU step's host time that any machine
can measure. Layout copies show up as `copy_` / `new_empty_strided`; views (`permute`, `t`,
`view`) cost no kernel.

    python bench/step_ops.py [--workloads mlp,cnn,lstm,transformer] [--trace copy_,div]

`--trace` prints where in lamina each operation named there comes from (lamina's step only).
"""

import argparse
import collections
import os
import sys
import traceback

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_worker  # noqa: E402
import workloads  # noqa: E402

import lamina  # noqa: E402
from lamina.devices import default_device  # noqa: E402

MEASURED_STEP = 2  # after the first steps' one-time work (slots, trackers, caches)


class OpCounter(TorchDispatchMode):
    def __init__(self, trace=()):
        super().__init__()
        self.ops = collections.Counter()
        self.trace = set(trace)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        self.ops[name] += 1
        if name in self.trace:
            frames = [f for f in traceback.extract_stack()
                      if f"{os.sep}lamina{os.sep}" in f.filename]
            where = frames[-1] if frames else None
            print(f"  {name}: " + (f"{where.filename.split(os.sep + 'lamina' + os.sep)[-1]}:"
                                   f"{where.lineno} {where.line}" if where else "(torch)"))
        return func(*args, **(kwargs or {}))


def lamina_step_ops(workload, x, y, trace=()):
    model = workloads.keras_model(lamina, workload)
    counted = {}

    class CountOneStep(lamina.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == MEASURED_STEP:
                counted["mode"] = OpCounter(trace).__enter__()

        def on_train_batch_end(self, batch, logs=None):
            if batch == MEASURED_STEP:
                counted["mode"].__exit__(None, None, None)

    model.fit(x, y, batch_size=workloads.BATCH[workload], epochs=1, shuffle=False, verbose=0,
              callbacks=[CountOneStep()])
    return counted["mode"].ops


def hand_loop_step_ops(workload, x, y):
    """One step of peer_worker.py's loop: forward, loss, backward, optimizer, running metrics."""
    device = default_device()  # where lamina's step ran (a GPU if there is one)
    model, optimizer, loss_fn, binary = workloads.torch_model(workload)
    model.to(device)
    if workload == "cnn":
        x = x.transpose(0, 3, 1, 2).copy()
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    yt = yt.float() if binary else yt.long()
    batch = workloads.BATCH[workload]
    total, correct = torch.zeros((), device=device), torch.zeros((), device=device)

    def step(i):
        rows = slice(i * batch, (i + 1) * batch)
        peer_worker.hand_train_step(model, optimizer, loss_fn, binary, xt[rows], yt[rows], total,
                                    correct)

    for i in range(MEASURED_STEP):
        step(i)
    with OpCounter() as counter:
        step(MEASURED_STEP)
    return counter.ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="mlp,cnn,lstm,transformer")
    parser.add_argument("--trace", default="", help="comma-separated aten operation names")
    args = parser.parse_args()
    trace = [name for name in args.trace.split(",") if name]
    for workload in args.workloads.split(","):
        x, y = workloads.data(workload, workloads.BATCH[workload] * (MEASURED_STEP + 2))
        if trace:
            print(f"{workload}: where lamina's step dispatches {', '.join(trace)}")
        ours = lamina_step_ops(workload, x, y, trace)
        hand = hand_loop_step_ops(workload, x, y)
        print(f"{workload}: lamina {sum(ours.values())} operations a step, hand loop "
              f"{sum(hand.values())}")
        differing = sorted((name for name in set(ours) | set(hand) if ours[name] != hand[name]),
                           key=lambda name: (hand[name] - ours[name], name))
        print("  " + ", ".join(f"{name} {ours[name]}/{hand[name]}" for name in differing))


if __name__ == "__main__":
    main()
