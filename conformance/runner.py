"""Run examples (or the symbolic layer check) on one side, in a subprocess.

Worker:  python -m conformance.runner --side keras|lamina --seed 0 --mode examples|layers
             --input jobs.json --output results.jsonl [--timeout 45]
writes one JSON line per event to --output as it goes ("start" before a unit of work, then its
result), so the parent can tell which example hung or crashed the worker, mark it, and start a
new worker after it (`supervise`).

`keras` is the installed Keras 3 on the jax backend for --side keras, and lamina through
lamina.testing.keras_alias for --side lamina. Nothing else differs between the two sides.
"""

import argparse
import ast
import builtins
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

# ------------------------------------------------------------------------------------ worker


class ExampleTimeout(BaseException):
    """A BaseException so an example's own `except Exception` cannot swallow it."""


def _on_alarm(signum, frame):
    raise ExampleTimeout()


def import_keras(side):
    if side == "keras":
        os.environ["KERAS_BACKEND"] = "jax"
    else:
        import torch
        torch.set_num_threads(1)  # workers run side by side: more threads only contend
        from lamina.testing import keras_alias
        keras_alias.install()
    import keras
    return keras


def reset_session(keras, seed):
    """What one example could leave behind for the next: names, global config, RNG state."""
    for path, args in (("backend.clear_session", ()), ("config.set_floatx", ("float32",)),
                       ("config.set_epsilon", (1e-7,)),
                       ("config.set_image_data_format", ("channels_last",)),
                       ("mixed_precision.set_global_policy", ("float32",))):
        try:
            function = keras
            for part in path.split("."):
                function = getattr(function, part)
            function(*args)
        except Exception:
            pass  # a side without this setting has nothing to reset
    keras.utils.set_random_seed(seed)


def _error(exc):
    message = str(exc).strip().splitlines()
    return {"type": type(exc).__name__, "mro": [c.__name__ for c in type(exc).__mro__],
            "message": message[0][:300] if message else ""}


def run_statement(statement, namespace, describe):
    """Execute one statement; an expression's value is kept as doctest would show it."""
    out = io.StringIO()
    result = {"value": None, "stdout": "", "error": None}
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            tree = ast.parse(statement["source"], "<example>", "exec")
            if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
                value = eval(compile(ast.Expression(tree.body[0].value), "<example>", "eval"),
                             namespace)
                if value is not None:
                    try:
                        result["value"] = describe(value)
                    except Exception as exc:
                        result["value"] = {"kind": "undescribable", "error": _error(exc)}
            else:
                exec(compile(tree, "<example>", "exec"), namespace)
        except ExampleTimeout:
            raise
        except (Exception, SystemExit) as exc:
            result["error"] = _error(exc)
    result["stdout"] = out.getvalue()
    return result


def run_block(block, namespace, describe):
    results = []
    for statement in block["statements"]:
        result = run_statement(statement, namespace, describe)
        results.append(result)
        # A script stops at its first error; doctest goes on to the next `>>>`.
        if result["error"] and block["kind"] == "script":
            break
    return results


def prelude(keras, group, numpy):
    """A docstring's fresh namespace: what Keras's examples take for granted (`np`, `keras`,
    `ops`, `layers`) and the documented object under its bare name, as doctest would give it.
    A side that lacks the object simply does not get the name."""
    namespace = {"__name__": "__main__", "__builtins__": builtins, "np": numpy, "keras": keras,
                 "ops": keras.ops, "layers": keras.layers}
    try:
        value = keras
        for part in group["path"].split(".")[1:]:
            value = getattr(value, part)
        namespace[group["bare"]] = value
    except Exception:
        pass
    return namespace


def work_examples(keras, groups, seed, timeout, emit):
    import numpy

    from conformance.describe import describe
    for group in groups:
        folder = tempfile.mkdtemp(prefix="conformance-example-")
        os.chdir(folder)  # examples save files: each docstring gets an empty folder
        reset_session(keras, seed)
        namespace = prelude(keras, group, numpy)
        for block in group["blocks"]:
            emit({"event": "start", "id": block["id"]})
            keras.utils.set_random_seed(seed)
            started = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                statements = run_block(block, namespace, describe)
                outcome = "ran"
            except ExampleTimeout:
                statements, outcome = [], "timeout"
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            emit({"event": "done", "id": block["id"], "outcome": outcome,
                  "seconds": round(time.monotonic() - started, 3), "statements": statements})
        os.chdir(tempfile.gettempdir())
        shutil.rmtree(folder, ignore_errors=True)


def build_argument(keras, value):
    """Table data -> constructor argument: nested layers and functions (see layer_args)."""
    if isinstance(value, dict) and "__layer__" in value:
        args = {k: build_argument(keras, v) for k, v in value.items() if k != "__layer__"}
        return getattr(keras.layers, value["__layer__"])(**args)
    if isinstance(value, dict) and "__function__" in value:
        return eval(value["__function__"])
    if isinstance(value, list):
        return [build_argument(keras, v) for v in value]
    return value


def _flatten(outputs):
    """Cells return (output, [states]): the model gets every tensor as a flat list."""
    if isinstance(outputs, (list, tuple)):
        return [t for item in outputs for t in _flatten(item)]
    if isinstance(outputs, dict):
        return [t for key in sorted(outputs) for t in _flatten(outputs[key])]
    return [outputs]


def check_layer(keras, name, spec, describe):
    """Input(s) -> layer -> Model; what the symbolic check compares."""
    args = {k: build_argument(keras, v) for k, v in spec.get("args", {}).items()}
    layer = getattr(keras.layers, name)(**args)
    inputs = [keras.Input(shape=tuple(shape), dtype=spec.get("dtype", "float32"))
              for shape in spec.get("inputs", [(8,)])]
    call = spec.get("call", "single")
    if call == "single":
        outputs = layer(inputs[0])
    elif call == "list":
        outputs = layer(list(inputs))
    elif call == "positional":
        outputs = layer(*inputs)
    else:  # "cell": (x, [states])
        outputs = layer(inputs[0], list(inputs[1:]))
    flat = _flatten(outputs)
    model = keras.Model(inputs, flat if len(flat) > 1 else flat[0])
    try:
        config = json.loads(json.dumps(layer.get_config(), sort_keys=True, default=repr))
        config_error = None
    except Exception as exc:
        config, config_error = None, _error(exc)
    return {
        "output_shapes": [describe(o).get("shape") for o in flat],
        "count_params": int(model.count_params()),
        "weights": [[w.name, [int(d) for d in w.shape]] for w in model.weights],
        "paths": [getattr(w, "path", None) for w in model.weights],
        "config": config, "config_error": config_error,
    }


def work_layers(keras, names, seed, timeout, emit):
    from conformance.describe import describe
    from conformance.layer_args import LAYERS
    for name in names:
        emit({"event": "start", "id": name})
        reset_session(keras, seed)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        result = {"event": "done", "id": name, "outcome": "ran"}
        try:
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                result["layer"] = check_layer(keras, name, LAYERS.get(name, {}), describe)
        except ExampleTimeout:
            result["outcome"] = "timeout"
        except Exception as exc:
            result["error"] = _error(exc)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        emit(result)


def worker_main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", choices=["keras", "lamina"], required=True)
    parser.add_argument("--mode", choices=["examples", "layers"], default="examples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=45.0)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    options = parser.parse_args(argv)
    with open(options.input) as f:
        work = json.load(f)
    signal.signal(signal.SIGALRM, _on_alarm)
    out = open(options.output, "a")

    def emit(event):
        out.write(json.dumps(event) + "\n")
        out.flush()

    try:
        keras = import_keras(options.side)
    except Exception:
        emit({"event": "import_failed", "error": traceback.format_exc()[-2000:]})
        return 1
    emit({"event": "ready", "version": getattr(keras, "__version__", "?")})
    if options.mode == "examples":
        work_examples(keras, work, options.seed, options.timeout, emit)
    else:
        work_layers(keras, work, options.seed, options.timeout, emit)
    emit({"event": "finished"})
    out.close()
    return 0


# ------------------------------------------------------------------------------------ parent

def _read_events(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.endswith("\n")]
    except FileNotFoundError:
        return []


def supervise(side, mode, units, ids, seed, timeout, workdir, label):
    """Run `units` (example groups, or layer names) on `side` in worker processes.

    Returns {unit id: done event}. A unit whose worker is silent for `timeout` + 60 s is killed
    and marked "timeout"; a worker that dies is marked "crashed" at the unit it was on. Either
    way a new worker goes on with the units after it. `ids(unit)` lists the ids a unit reports
    (a group's blocks)."""
    results, remaining, attempt = {}, list(units), 0
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    while remaining:
        attempt += 1
        stem = os.path.join(workdir, f"{label}-{attempt}")
        with open(stem + ".in.json", "w") as f:
            json.dump(remaining, f)
        command = [sys.executable, "-m", "conformance.runner", "--side", side, "--mode", mode,
                   "--seed", str(seed), "--timeout", str(timeout), "--input", stem + ".in.json",
                   "--output", stem + ".jsonl"]
        env = dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=root, JAX_PLATFORMS="cpu",
                   TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
        with open(stem + ".log", "w") as log:
            process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=log)
            last_count, last_change, killed = 0, time.monotonic(), None
            while process.poll() is None:
                time.sleep(0.5)
                events = _read_events(stem + ".jsonl")
                if len(events) != last_count:
                    last_count, last_change = len(events), time.monotonic()
                elif time.monotonic() - last_change > timeout + 60:
                    process.kill()
                    process.wait()
                    killed = "timeout"
        events = _read_events(stem + ".jsonl")
        if events and events[0].get("event") == "import_failed":
            raise RuntimeError(f"{side} worker could not import keras:\n{events[0]['error']}")
        for event in events:
            if event["event"] == "done":
                results[event["id"]] = event
        # Units are done in order: drop the finished ones; the first unfinished one is where
        # the worker died (or was killed): mark what it had left and go on after it.
        done_units = 0
        for unit in remaining:
            done_units += 1
            if not all(i in results for i in ids(unit)):
                for i in ids(unit):
                    results.setdefault(i, {"event": "done", "id": i,
                                           "outcome": killed or "crashed", "statements": []})
                break
        remaining = remaining[done_units:]
    return results


if __name__ == "__main__":
    sys.exit(worker_main())
