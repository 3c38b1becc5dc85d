"""One (framework, workload) measurement in a fresh process; prints one JSON line.

    python bench/peer_worker.py --framework lamina --workload mlp --samples 6400 --epochs 3

Frameworks: `lamina` (eager fit), `lamina-compiled` (`compile(jit_compile=True)`), `torch` (a
hand-written loop: foreach optimizer, running loss and accuracy like Keras's progress logs),
`keras` (Keras 3 on the backend in KERAS_BACKEND; run with a Python that has Keras).
The first epoch is reported as warm-up (it includes any compilation); the epoch time is the
median of the others. Peak memory: the process's max RSS (CPU) or CUDA max allocated.
"""

import argparse
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402


def _epochs_keras(keras, workload, x, y, epochs):
    model = workloads.keras_model(keras, workload)
    batch = workloads.BATCH[workload]
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        if workload == "predict":
            model.predict(x, batch_size=batch, verbose=0)
        else:
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    return times


def hand_train_step(model, optimizer, loss_fn, binary, xb, yb, total, correct):
    """One step of the hand loop; the running loss sum and hit count are added in place."""
    import torch

    optimizer.zero_grad(set_to_none=True)
    logits = model(xb)
    loss = loss_fn(logits, yb)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        total += loss.detach() * len(xb)
        hits = (logits > 0).float() == yb if binary else logits.argmax(-1) == yb
        correct += hits.sum()


def _epochs_torch(workload, x, y, epochs, device):
    import torch

    model, optimizer, loss_fn, binary = workloads.torch_model(workload)
    model.to(device)
    if workload == "cnn":
        x = x.transpose(0, 3, 1, 2).copy()  # torch convolutions take channels first
    xt = torch.from_numpy(x).to(device)
    yt = torch.from_numpy(y).to(device)
    yt = yt.float() if binary else yt.long()
    batch = workloads.BATCH[workload]
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        if workload == "predict":
            model.eval()
            with torch.inference_mode():
                outputs = [torch.softmax(model(xt[i:i + batch]), -1).cpu()
                           for i in range(0, len(xt), batch)]
            torch.cat(outputs).numpy()
        else:
            model.train()
            order = torch.randperm(len(xt), device=device)
            total, correct, seen = torch.zeros((), device=device), torch.zeros((), device=device), 0
            for i in range(0, len(xt), batch):
                index = order[i:i + batch]
                hand_train_step(model, optimizer, loss_fn, binary, xt[index], yt[index], total,
                                correct)
                seen += len(index)
            (total / seen).item(), (correct / seen).item()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", required=True)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--samples", type=int, default=6400)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args()

    x, y = workloads.data(args.workload, args.samples)
    framework = args.framework
    device_name = "cpu"
    if framework == "keras":
        import keras

        times = _epochs_keras(keras, args.workload, x, y, args.epochs)
        label = f"keras-{keras.config.backend()}"
    else:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        device_name = device.type
        if framework == "torch":
            times = _epochs_torch(args.workload, x, y, args.epochs, device)
        elif framework in ("lamina", "lamina-compiled"):
            import lamina

            if framework == "lamina-compiled":
                original = workloads.keras_model

                def compiled_model(keras, workload):
                    model = original(keras, workload)
                    model.compile(optimizer=model.optimizer, loss=model.loss,
                                  metrics=["accuracy"], jit_compile=True)
                    return model

                workloads.keras_model = compiled_model
            times = _epochs_keras(lamina, args.workload, x, y, args.epochs)
        else:
            raise SystemExit(f"unknown framework {framework!r}")
        label = framework
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    if device_name == "cuda":
        import torch

        peak = torch.cuda.max_memory_allocated() / 2**20
    steady = sorted(times[1:]) or times
    print(json.dumps({"framework": label, "workload": args.workload, "device": device_name,
                      "warmup_s": times[0], "epoch_s": steady[len(steady) // 2],
                      "samples": args.samples, "peak_mib": round(peak, 1)}))


if __name__ == "__main__":
    main()
