"""The peer benchmark: lamina against a hand-written PyTorch loop and Keras 3, side by side.

    python bench/peer.py --workloads mlp,cnn,lstm,transformer,predict --repeats 3 \
        --keras-python /path/to/venv-with-keras/bin/python

Each (framework, workload) runs in a fresh process (bench/peer_worker.py), interleaved across
frameworks and repeated; the table reports, per workload, the median epoch time over repeats,
its ratio to the fastest framework, the warm-up (first epoch, with any compilation) and peak
memory. Keras runs only when a Python with Keras is given (or the current one has it), once
per backend in `--keras-backends`. Timings on a shared machine are noisy: compare ratios from
one run, never single timings across runs.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _has_keras(python):
    probe = subprocess.run([python, "-c", "import keras"], capture_output=True,
                           env={**os.environ, "KERAS_BACKEND": "jax"})
    return probe.returncode == 0


def _run(python, framework, workload, args, backend=None):
    env = dict(os.environ)
    if backend:
        env["KERAS_BACKEND"] = backend
    command = [python, os.path.join(HERE, "peer_worker.py"), "--framework", framework,
               "--workload", workload, "--samples", str(args.samples), "--epochs",
               str(args.epochs)]
    result = subprocess.run(command, capture_output=True, text=True, env=env,
                            timeout=args.timeout)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        return {"framework": framework if not backend else f"keras-{backend}",
                "workload": workload, "error": " | ".join(tail)}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default="mlp,cnn,lstm,transformer,predict")
    parser.add_argument("--frameworks", default="lamina,torch,keras",
                        help="comma list of lamina, lamina-compiled, torch, keras")
    parser.add_argument("--keras-backends", default="jax,torch")
    parser.add_argument("--keras-python", default=sys.executable)
    parser.add_argument("--samples", type=int, default=6400)
    parser.add_argument("--epochs", type=int, default=3, help="per process; first is warm-up")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args()

    runs = []
    for framework in args.frameworks.split(","):
        if framework == "keras":
            if not _has_keras(args.keras_python):
                print(f"(no Keras in {args.keras_python}: Keras columns skipped)", file=sys.stderr)
                continue
            runs += [(args.keras_python, "keras", b) for b in args.keras_backends.split(",")]
        else:
            runs.append((sys.executable, framework, None))

    results = {}
    for repeat in range(args.repeats):
        for workload in args.workloads.split(","):
            # Interleave, rotating the order each repeat so no framework always runs first.
            order = runs[repeat % len(runs):] + runs[:repeat % len(runs)]
            for python, framework, backend in order:
                row = _run(python, framework, workload, args, backend)
                print(json.dumps(row), file=sys.stderr)
                results.setdefault((workload, row["framework"]), []).append(row)
    print(_table(results, args))


def _table(results, args):
    lines = [f"samples per epoch: {args.samples}; epochs per process: {args.epochs} "
             f"(first = warm-up); repeats: {args.repeats}", "",
             "| workload | framework | epoch (s, median) | vs fastest | warm-up (s) | peak MiB |",
             "|---|---|---|---|---|---|"]
    for workload in args.workloads.split(","):
        rows = {fw: rs for (wl, fw), rs in results.items() if wl == workload}
        medians = {fw: statistics.median(r["epoch_s"] for r in rs)
                   for fw, rs in rows.items() if all("epoch_s" in r for r in rs)}
        fastest = min(medians.values()) if medians else None
        for framework, rs in rows.items():
            if framework not in medians:
                lines.append(f"| {workload} | {framework} | failed: {rs[0].get('error', '')[:80]}"
                             " | | | |")
                continue
            warmup = statistics.median(r["warmup_s"] for r in rs)
            peak = max(r["peak_mib"] for r in rs)
            lines.append(f"| {workload} | {framework} | {medians[framework]:.3f} | "
                         f"{medians[framework] / fastest:.2f}× | {warmup:.2f} | {peak:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
