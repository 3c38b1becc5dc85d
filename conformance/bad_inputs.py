"""Score lamina and Keras 3 on the same table of bad inputs (tests/bad_inputs/cases.py).

    python -m conformance.bad_inputs            # lamina, and Keras when it is installed
    KERAS_BACKEND=jax /work/kvenv/bin/python -m conformance.bad_inputs   # (the project's setup)

Each case runs in a fresh temporary directory (the `files` cases write there).

A case is *handled* when the code raises the expected kind of exception (ValueError/TypeError)
with a message that names what to fix (every word the case lists). Prints "family:
handled/total" per library, and the cases each library misses with what it did instead.
"""

import contextlib
import importlib.util
import io
import os
import pathlib
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bad_input_cases",
                                               ROOT / "tests" / "bad_inputs" / "cases.py")
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)


def outcome(keras, code, types, words):
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()):
        previous = os.getcwd()
        os.chdir(folder)
        try:
            return _outcome(keras, code, types, words)
        finally:
            os.chdir(previous)


def _outcome(keras, code, types, words):
    namespace = {"keras": keras, "np": np}
    exec(cases.PRELUDE, namespace)
    try:
        exec(code, namespace)
    except Exception as error:  # noqa: BLE001 - scoring what each library raises
        kinds = {cls.__name__ for cls in type(error).__mro__}
        message = str(error)
        if kinds & set(types) and all(word in message for word in words):
            return True, ""
        return False, f"{type(error).__name__}: {message[:100]}"
    return False, "accepted silently"


def score(keras):
    table, misses = {}, []
    for family, code, types, words in cases.CASES:
        handled, what = outcome(keras, code, types, words)
        done, total = table.get(family, (0, 0))
        table[family] = (done + handled, total + 1)
        if not handled:
            misses.append((family, code, what))
    return table, misses


def main():
    import warnings

    warnings.simplefilter("ignore")
    libraries = [("lamina", "lamina")]
    if importlib.util.find_spec("keras") is not None:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        libraries.append(("keras", "keras"))
    results = {}
    for label, module in libraries:
        results[label] = score(importlib.import_module(module))
    families = list(dict.fromkeys(family for family, *_ in cases.CASES))
    print("| family | " + " | ".join(label for label, _ in libraries) + " |")
    print("|---|" + "---|" * len(libraries))
    for family in families + ["total"]:
        cells = []
        for label, _ in libraries:
            table = results[label][0]
            rows = table.values() if family == "total" else [table[family]]
            cells.append(f"{sum(r[0] for r in rows)}/{sum(r[1] for r in rows)}")
        print(f"| {family} | " + " | ".join(cells) + " |")
    for label, _ in libraries:
        print(f"\n{label} misses:", file=sys.stderr)
        for family, code, what in results[label][1]:
            code = code.replace("\n", "; ")
            print(f"  [{family}] {code}  ->  {what}", file=sys.stderr)


if __name__ == "__main__":
    main()
