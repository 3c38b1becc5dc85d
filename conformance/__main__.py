"""python -m conformance [--namespace layers] [--out docs/conformance.md]

Runs Keras's docstring examples on Keras (jax) and on lamina, plus the symbolic layer check,
and reports how much matches. See conformance/README.md.
"""

import argparse
import concurrent.futures
import datetime
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__.split(
        "\n\n")[1])
    parser.add_argument("--namespace", action="append", default=[],
                        help="only this namespace, in the report's spelling (layers, ops, "
                        "ops.nn, losses, ...); repeatable or comma-separated; 'ops' includes "
                        "ops.*. The symbolic layer check runs with 'layers' or no filter.")
    parser.add_argument("--out", default=str(ROOT / "docs" / "conformance.md"),
                        help="markdown report (the JSON goes next to it, same stem)")
    parser.add_argument("--timeout", type=float, default=45.0,
                        help="seconds one example may run before it is stopped")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes at a time")
    parser.add_argument("--no-layers", action="store_true", help="skip the symbolic layer check")
    return parser.parse_args(argv)


def chunks(by_ns, alone=40, size=80):
    """Namespaces with many examples get their own workers; small ones share (starting a worker
    costs seconds of imports, more than most small namespaces take to run)."""
    small, current = [], []
    for ns in sorted(by_ns, key=lambda n: -sum(len(g["blocks"]) for g in by_ns[n])):
        count = sum(len(g["blocks"]) for g in by_ns[ns])
        if count >= alone:
            yield by_ns[ns]
        else:
            small.append(by_ns[ns])
    for groups in small:
        current += groups
        if sum(len(g["blocks"]) for g in current) >= size:
            yield current
            current = []
    if current:
        yield current


def versions(keras):
    import jax
    import torch

    import lamina
    return {"keras": keras.__version__, "jax": jax.__version__, "torch": torch.__version__,
            "lamina": f"{lamina.__version__} ({lamina_revision()})"}


def lamina_revision():
    """The commit the run measured, and whether lamina/ had uncommitted changes then."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    try:
        commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
        return commit + (" + uncommitted changes" if git("status", "--porcelain", "lamina")
                         else "")
    except (OSError, subprocess.SubprocessError):
        return "not a git checkout"


def main(argv=None):
    options = parse(argv)
    only = [n.strip() for item in options.namespace for n in item.split(",") if n.strip()]
    os.environ["KERAS_BACKEND"] = "jax"
    import keras  # the real Keras: this process only reads its docstrings and layer list

    from conformance import compare, examples, report, runner
    from conformance.layer_args import LAYERS

    started = time.monotonic()
    groups = examples.collect(keras, only or None)
    layer_names = sorted(n for n in dir(keras.layers) if not n.startswith("_") and isinstance(
        getattr(keras.layers, n), type) and issubclass(getattr(keras.layers, n),
                                                       keras.layers.Layer))
    run_layers = not options.no_layers and (not only or "layers" in only)
    unknown = [n for n in LAYERS if n not in layer_names]
    if unknown:
        print(f"note: layer_args has entries Keras does not export: {unknown}", file=sys.stderr)
    print(f"{sum(len(g['blocks']) for g in groups)} examples in {len(groups)} docstrings"
          f"{f', {len(layer_names)} layers' if run_layers else ''}", file=sys.stderr)

    by_ns = {}
    for group in groups:
        by_ns.setdefault(group["namespace"], []).append(group)
    block_ids = lambda group: [b["id"] for b in group["blocks"]]  # noqa: E731
    jobs = []  # (label, side, mode, units, ids, seed)
    for n, chunk in enumerate(chunks(by_ns)):
        for side, seed in (("keras", 0), ("keras", 1), ("lamina", 0)):
            jobs.append((f"examples{n}-{side}-{seed}", side, "examples", chunk, block_ids, seed))
    if run_layers:
        for side in ("keras", "lamina"):
            jobs.append((f"layers-{side}", side, "layers", layer_names, lambda n: [n], 0))
    # Longest first, so the last job to finish is a short one.
    jobs.sort(key=lambda job: -sum(len(block_ids(u)) if isinstance(u, dict) else 1
                                   for u in job[3]))

    # {(side, seed): {block id or layer name: the worker's "done" event}}
    outcomes = {("keras", 0): {}, ("keras", 1): {}, ("lamina", 0): {}}
    layer_outcomes = {"keras": {}, "lamina": {}}
    with tempfile.TemporaryDirectory(prefix="conformance-") as workdir, \
            concurrent.futures.ThreadPoolExecutor(options.jobs) as pool:
        futures = {pool.submit(runner.supervise, side, mode, units, ids, seed, options.timeout,
                               workdir, label): (label, side, mode, seed)
                   for label, side, mode, units, ids, seed in jobs}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            label, side, mode, seed = futures[future]
            (outcomes[(side, seed)] if mode == "examples" else layer_outcomes[side]).update(
                future.result())
            print(f"  done {label} ({done}/{len(jobs)}, {time.monotonic() - started:.0f}s)",
                  file=sys.stderr)

    verdicts = {}
    k, k2, lam = outcomes[("keras", 0)], outcomes[("keras", 1)], outcomes[("lamina", 0)]
    for ns, ns_groups in by_ns.items():
        for group in ns_groups:
            sources, failed_before = [], False
            for block in group["blocks"]:
                sources += [s["source"] for s in block["statements"]]
                verdict = compare.judge_example(
                    block, k.get(block["id"]), lam.get(block["id"]), k2.get(block["id"]),
                    random_api=compare.uses_random_api(sources),
                    lamina_failed_before=failed_before, bare=group["bare"], path=group["path"])
                verdict["namespace"] = ns
                verdicts[block["id"]] = verdict
                failed_before = failed_before or verdict["status"] == "mismatch"
    layers = {}
    if run_layers:
        for name in layer_names:
            layers[name] = compare.judge_layer(layer_outcomes["keras"].get(name),
                                               layer_outcomes["lamina"].get(name))

    command = "python -m conformance" + "".join(
        f" {shlex.quote(a)}" for a in (argv if argv is not None else sys.argv[1:]))
    result = {
        "versions": versions(keras),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command, "seconds": round(time.monotonic() - started),
        "namespaces": report.namespace_rows(verdicts), "examples": verdicts,
        "layers": layers, "layer_checks": list(compare.LAYER_CHECKS),
    }
    result["totals"] = report.totals(result["namespaces"])
    out = pathlib.Path(options.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report.write_markdown(result, out)
    report.write_json(result, out.with_suffix(".json"))
    report.print_summary(result)
    print(f"\nwrote {out} and {out.with_suffix('.json')} in {result['seconds']}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
