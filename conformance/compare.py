"""Judge one example (or one layer) from three runs: Keras with seed 0, Keras with seed 1, and
lamina with seed 0.

The classification rule (explicit on purpose, it decides what "match" means):

* Left out of the count (status "backend-specific" / "private API", listed in the report):
  examples whose value is the backend itself (`keras.backend.backend()` is "jax") and examples
  that import `keras.src`. Counted as a match (and listed): where Keras-on-JAX departs from its
  own documented output and lamina gives the documented one. JAX's 32-bit default integers
  (int32 where NumPy and Keras-on-torch give int64) are not a dtype difference.

* An example "runs on Keras" when its seed-0 Keras run finishes and raises nothing that the
  docstring does not show as a traceback. Only those examples count.
* A value is compared *exactly* (numbers within RTOL/ATOL) only if Keras gives the same value
  with seed 0 and seed 1 AND the example (with the blocks before it in its docstring) uses no
  random API of Keras (RANDOM_SOURCE). Otherwise the backends' random streams legitimately
  differ and only the structure is compared: kinds, shapes, dtypes, printed words, number of
  printed numbers. Such examples are reported as compared "shapes only".
"""

import base64
import marshal
import math
import re

import numpy as np

RTOL, ATOL = 1e-4, 1e-5
HALF_RTOL, HALF_ATOL = 1e-2, 1e-3          # float16 / bfloat16 values
PRINTED_RTOL, PRINTED_ATOL = 1e-3, 1e-4    # printed numbers are rounded (e.g. "loss: 0.6931")

# Keras APIs whose results depend on the backend's random generator even with a fixed seed:
# keras.random, random layers and initializers, dropout/noise, and any explicit `seed=`.
RANDOM_SOURCE = re.compile(
    r"\bkeras\.random\.|\brandom\.(normal|uniform|categorical|randint|truncated_normal|dropout"
    r"|shuffle|gamma|binomial|beta)\b|\bRandom[A-Z]\w*|\bSeedGenerator\b"
    r"|\b(Glorot|He|Lecun)(Normal|Uniform)\b|\b(glorot|he|lecun)_(normal|uniform)\b"
    r"|\bOrthogonal\b|\bTruncatedNormal\b|\bVarianceScaling\b|\bDropout\b|\bAlphaDropout\b"
    r"|\bGaussian(Dropout|Noise)\b|\bSpatialDropout\dD\b|\bseed\s*=|\b(MixUp|CutMix|AugMix"
    r"|RandAugment)\b")


def uses_random_api(sources):
    return any(RANDOM_SOURCE.search(s) for s in sources)


# ------------------------------------------------------------------------------------ values

def _floats(values):
    # describe.py writes non-finite numbers as strings ("nan", "inf").
    return np.array([float(v) if isinstance(v, str) else v for v in values], dtype=float)


def _close(a, b, dtype="float32"):
    rtol, atol = (HALF_RTOL, HALF_ATOL) if dtype in ("float16", "bfloat16") else (RTOL, ATOL)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _numbers_equal(k, l, dtype):
    if k == l:
        return True
    try:
        return _close(_floats(k), _floats(l), dtype)
    except (TypeError, ValueError):
        return False  # strings, or ragged (complex pairs) that differ


def _summary(d):
    if d is None:
        return "None"
    kind = d["kind"]
    if kind == "array":
        return f"array{tuple(d['shape'])} {d['dtype']}"
    if kind == "symbolic":
        return f"KerasTensor{tuple(d['shape'])} {d['dtype']}"
    if kind in ("tuple", "list", "dict"):
        return f"{kind} of {len(d['items'])}"
    if kind == "object":
        return d["type"]
    if kind == "undescribable":
        return f"undescribable ({d['error']['type']})"
    return f"{kind} {str(d.get('value'))[:40]}"


def _first_difference(k, l):
    k, l = _floats(k), _floats(l)
    diff = np.abs(k - l)
    diff = np.where(np.isnan(diff), np.inf, diff)
    i = int(np.argmax(diff))
    return f"max |diff| {diff[i]:.3g} at flat index {i} (keras {k[i]:.6g}, lamina {l[i]:.6g})"


def _jax_int_width(keras_dtype, lamina_dtype):
    """JAX runs without 64-bit types by default, so Keras-on-JAX turns NumPy's int64 (and
    uint64, float64) into 32 bits where Keras on torch keeps 64: not a difference of Keras's
    API. The values are still compared."""
    return (keras_dtype, lamina_dtype) in {("int32", "int64"), ("uint32", "uint64"),
                                           ("float32", "float64")}


def compare_values(k, l, k2, loose, where="value"):
    """None when lamina's value `l` matches Keras's `k`; else (kind of difference, text).
    `k2` is the seed-1 Keras value (None when absent); `loose` drops value comparison."""
    if k is None or l is None:
        if k is None and l is None:
            return None
        return "type", f"{where}: keras {_summary(k)}, lamina {_summary(l)}"
    if k2 is None or k2.get("kind") != k.get("kind"):
        loose, k2 = True, None
    if k["kind"] != l["kind"]:
        return "type", f"{where}: keras {_summary(k)}, lamina {_summary(l)}"
    kind = k["kind"]
    if kind in ("array", "symbolic"):
        if k["shape"] != l["shape"]:
            return "shape", f"{where} shape: keras {tuple(k['shape'])}, lamina {tuple(l['shape'])}"
        if k["dtype"] != l["dtype"] and not _jax_int_width(k["dtype"], l["dtype"]):
            return "dtype", f"{where} dtype: keras {k['dtype']}, lamina {l['dtype']}"
        if kind == "symbolic" or loose:
            return None
        for field in ("values", "summary", "values_head"):
            if field not in k and field not in l:
                continue
            if k2 is not None and k2.get(field) != k.get(field) and not _numbers_equal(
                    k.get(field), k2.get(field), k["dtype"]):
                return None  # Keras itself changes with the seed: compare the structure only
            if not _numbers_equal(k.get(field), l.get(field), k["dtype"]):
                try:
                    detail = _first_difference(k[field], l[field])
                except (TypeError, ValueError, KeyError):
                    detail = "non-numeric values differ"
                return "value", f"{where} values: {detail}"
        return None
    if kind in ("int", "float", "bool", "complex"):
        if loose or (k2 is not None and not _numbers_equal([k["value"]], [k2["value"]],
                                                           "float64")):
            return None
        if not _numbers_equal([k["value"]], [l["value"]], "float32"):
            return "value", f"{where}: keras {k['value']}, lamina {l['value']}"
        return None
    if kind in ("tuple", "list"):
        if len(k["items"]) != len(l["items"]):
            return "shape", f"{where}: keras {kind} of {len(k['items'])}, lamina of {len(l['items'])}"
        items2 = k2["items"] if k2 and len(k2.get("items", [])) == len(k["items"]) else None
        for i, (a, b) in enumerate(zip(k["items"], l["items"])):
            found = compare_values(a, b, items2[i] if items2 else None, loose or items2 is None,
                                   f"{where}[{i}]")
            if found:
                return found
        return None
    if kind == "dict":
        if sorted(k["items"]) != sorted(l["items"]):
            missing = sorted(set(k["items"]) - set(l["items"]))
            extra = sorted(set(l["items"]) - set(k["items"]))
            return "value", f"{where} keys: lamina lacks {missing[:5]}, has extra {extra[:5]}"
        items2 = k2["items"] if k2 and sorted(k2.get("items", {})) == sorted(k["items"]) else None
        for key in k["items"]:
            found = compare_values(k["items"][key], l["items"][key],
                                   items2[key] if items2 else None, loose or items2 is None,
                                   f"{where}[{key!r}]")
            if found:
                return found
        return None
    if kind == "object":
        if k["type"] != l["type"]:
            return "type", f"{where}: keras {k['type']} object, lamina {l['type']}"
        return None
    # str, None, dtype, class, callable, set, deep, undescribable
    if k != l and not (loose or (k2 is not None and k2 != k)):
        return "value", f"{where}: keras {_summary(k)}, lamina {_summary(l)}"
    return None


# ------------------------------------------------------------------------------------ stdout

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Array printing is the backend's, not Keras's: "tensor([1., 2.], dtype=torch.int32)" and jax's
# "[1. 2.]" say the same thing; progress bars carry timings.
_BACKEND_NOISE = re.compile(
    r"\btensor\(|\btorch\.Size\(|\bArray\(|\barray\(|,?\s*dtype=[\w.]+|,?\s*device='[^']*'"
    r"|,?\s*requires_grad=True|,?\s*grad_fn=<\w+>|,?\s*weak_type=True|\bETA:?\s*\S+"
    r"|\b\d+(\.\d+)?(ms|us|µs|s)(/step|/sample)?\b|[\u2500-\u259f]")
_TOKEN = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[A-Za-z_][A-Za-z_0-9]*")


def _tokens(text):
    lines = [line.split("\r")[-1] for line in _ANSI.sub("", text).split("\n")]
    return _TOKEN.findall(_BACKEND_NOISE.sub(" ", "\n".join(lines)))


def _is_number(token):
    return token[0].isdigit() or token[0] in "+-." and len(token) > 1


def compare_stdout(k, l, k2, loose):
    """None, or ("printed", text). Words must be equal; numbers equal within PRINTED_* unless
    Keras printed a different number at that place with seed 1 (or `loose`)."""
    tk, tl = _tokens(k), _tokens(l)
    t2 = _tokens(k2) if k2 is not None else None
    if t2 is not None and len(t2) != len(tk):
        loose, t2 = True, None
    if len(tk) != len(tl):
        return "printed", (f"printed {len(tk)} words/numbers on keras, {len(tl)} on lamina "
                           f"(keras starts '{' '.join(tk[:6])[:60]}', lamina "
                           f"'{' '.join(tl[:6])[:60]}')")
    for i, (a, b) in enumerate(zip(tk, tl)):
        if _is_number(a) != _is_number(b):
            return "printed", f"printed token {i}: keras '{a[:30]}', lamina '{b[:30]}'"
        if not _is_number(a):
            if a != b and not (t2 is not None and t2[i] != a):
                return "printed", f"printed word {i}: keras '{a[:30]}', lamina '{b[:30]}'"
            continue
        if loose or (t2 is not None and t2[i] != a):
            continue
        x, y = float(a), float(b)
        if not (math.isclose(x, y, rel_tol=PRINTED_RTOL, abs_tol=PRINTED_ATOL)
                or (math.isnan(x) and math.isnan(y))):
            return "printed", f"printed number {i}: keras {a}, lamina {b}"
    return None


def stdout_is_seed_dependent(k, k2):
    return k2 is not None and _tokens(k) != _tokens(k2)


# ------------------------------------------------------------------------------------ errors

_MISSING = [
    (re.compile(r"module '([\w.]+)' has no attribute '(\w+)'"), "{0}.{1}"),
    (re.compile(r"cannot import name '(\w+)' from '([\w.]+)'"), "{1}.{0}"),
    (re.compile(r"lamina has no module for '([\w.]+)'"), "{0}"),
    (re.compile(r"type object '(\w+)' has no attribute '(\w+)'"), "{0}.{1}"),
]


def classify_error(error, bare=None, path=None):
    """(category, detail) for an exception lamina raised where Keras did not. `bare`/`path`:
    the documented object's unqualified name and where it lives (the worker binds it)."""
    message = error["message"]
    if "keras.src" in message:
        return "uses keras.src (Keras's private tree)", message[:120]
    if error["type"] == "NameError" and bare and f"name '{bare}' is not defined" in message:
        return "missing API", path
    for pattern, template in _MISSING:
        found = pattern.search(message)
        if found:
            name = template.format(*found.groups()).replace("lamina", "keras", 1)
            return "missing API", name
    if error["type"] == "TypeError" and "keyword argument" in message:
        return "unsupported argument", message[:120]
    return f"lamina raises {error['type']}", message[:120]


def _described_numbers(d):
    """The numbers of a described value, flattened (what a doctest output would show)."""
    if d is None:
        return []
    kind = d["kind"]
    if kind == "array":
        values = d.get("values") or []
        return [v for v in values if not isinstance(v, (str, list))]
    if kind in ("int", "float"):
        return [d["value"]] if not isinstance(d["value"], str) else []
    if kind in ("tuple", "list"):
        return [n for item in d["items"] for n in _described_numbers(item)]
    if kind == "dict":
        return [n for item in d["items"].values() for n in _described_numbers(item)]
    return []


def agrees_with_docs(result, want):
    """Does this statement's result show the numbers the docstring shows (rounded as shown)?"""
    shown = [float(t) for t in _tokens(want or "") if _is_number(t)]
    if not shown:
        return False
    got = _described_numbers(result["value"]) if result["value"] is not None else [
        float(t) for t in _tokens(result["stdout"]) if _is_number(t)]
    return len(got) == len(shown) and all(
        math.isclose(a, b, rel_tol=5e-3, abs_tol=1e-3) for a, b in zip(got, shown))


_BACKEND_VALUE = re.compile(r"keras (str|class|callable) (jax|ArrayImpl|Array)\b")


def judge_example(block, k, l, k2, random_api, lamina_failed_before, bare=None, path=None):
    """{"status": "not run on keras" | "match" | "mismatch", "mode", "category", "detail",
    "reason"} for one block, from its three "done" events. `bare`, `path`: see classify_error."""
    expected = [s["expect_raise"] for s in block["statements"]]
    if k is None or k["outcome"] != "ran":
        return {"status": "not run on keras", "reason": f"keras {k and k['outcome']}"}
    for n, result in enumerate(k["statements"]):
        if result["error"] and not expected[n]:
            e = result["error"]
            return {"status": "not run on keras",
                    "reason": f"keras raises {e['type']}: {e['message'][:100]}"}
    if k2 is not None and (k2["outcome"] != "ran" or len(k2["statements"]) != len(
            k["statements"])):
        k2 = None
    # Without a usable seed-1 run nothing can be shown to be seed-independent.
    seed_dependent = random_api or k2 is None
    verdict = {"status": "match", "mode": "shapes only" if seed_dependent else "values"}

    def mismatch(category, detail, statement):
        if lamina_failed_before and category == "lamina raises NameError":
            # Most likely a name the failed block should have defined: not a new problem.
            category = "NameError after an earlier block failed on lamina"
        verdict.update(status="mismatch", category=category, detail=detail,
                       reason=f"statement {statement + 1}: {detail}")
        return verdict

    if l is None or l["outcome"] != "ran":
        return mismatch(f"lamina {l['outcome'] if l else 'missing'}", "did not finish", 0)
    for n, kr in enumerate(k["statements"]):
        if n >= len(l["statements"]):
            return mismatch("lamina stopped early", "statement not reached", n)
        lr = l["statements"][n]
        k2r = k2["statements"][n] if k2 is not None else None
        if kr["error"]:
            if not lr["error"]:
                return mismatch("no exception", f"keras raises {kr['error']['type']}, lamina "
                                "does not", n)
            if kr["error"]["type"] not in lr["error"]["mro"]:
                return mismatch("other exception", f"keras raises {kr['error']['type']}, "
                                f"lamina {lr['error']['type']}: {lr['error']['message'][:80]}", n)
            continue
        if lr["error"]:
            category, detail = classify_error(lr["error"], bare, path)
            if category.startswith("uses keras.src"):
                # An example that imports Keras's private modules tests Keras's internals, not
                # its API: left out of the count (and listed).
                verdict.update(status="private API", reason=f"statement {n + 1}: {detail}")
                return verdict
            return mismatch(category, f"{lr['error']['type']}: {detail}", n)
        want = block["statements"][n].get("want")
        found = compare_values(kr["value"], lr["value"], k2r and k2r["value"],
                               loose=random_api)
        if found and agrees_with_docs(lr, want) and not agrees_with_docs(kr, want):
            # Keras-jax itself departs from its documented output here; lamina does not: the
            # documentation decides, so this counts as a match (and is listed as such).
            verdict["documented"] = found[1]
            continue
        if found and _BACKEND_VALUE.search(found[1]):
            # The example shows the backend itself ("jax", a jax array class): not Keras's API,
            # so it is left out of the count (and listed).
            verdict.update(status="backend-specific", reason=f"statement {n + 1}: {found[1]}")
            return verdict
        if found:
            category = f"{found[0]} differs"
            if found[0] == "dtype":  # e.g. int32 vs int64: which pairs recur matters
                category += " (" + found[1].split(": ", 1)[1].replace("keras ", "").replace(
                    ", lamina ", " vs ") + ")"
            return mismatch(category, found[1], n)
        if k2r is not None and k2r["value"] != kr["value"] or stdout_is_seed_dependent(
                kr["stdout"], k2r and k2r["stdout"]):
            verdict["mode"] = "shapes only"
        found = compare_stdout(kr["stdout"], lr["stdout"], k2r and k2r["stdout"],
                               loose=seed_dependent)
        if found and agrees_with_docs(lr, want) and not agrees_with_docs(kr, want):
            verdict["documented"] = found[1]
            continue
        if found:
            return mismatch("printed output differs", found[1], n)
    return verdict


# ------------------------------------------------------------------------------------ layers

def config_differences(k, l, where="", limit=40):
    """Leaf-level differences between two configs: ["key.sub: lamina lacks", "key: keras 1,
    lamina 2", ...] (nested layer configs are compared inside, not as one blob)."""
    if isinstance(k, dict) and isinstance(l, dict):
        found = []
        for key in sorted(set(k) | set(l)):
            path = f"{where}.{key}" if where else str(key)
            if key not in l:
                found.append(f"{path}: lamina lacks")
            elif key not in k:
                found.append(f"{path}: lamina adds")
            else:
                found += config_differences(k[key], l[key], path, limit)
        return found[:limit]
    if isinstance(k, list) and isinstance(l, list) and len(k) == len(l):
        found = []
        for i, (a, b) in enumerate(zip(k, l)):
            found += config_differences(a, b, f"{where}[{i}]", limit)
        return found[:limit]
    if _json_equal(k, l) or (where.endswith(".code") and _same_bytecode(k, l)):
        return []
    return [f"{where}: keras {_short(k)}, lamina {_short(l)}"]


def _same_bytecode(a, b):
    """Lambda configs carry marshalled code; marshal's bytes depend on reference counts, so
    equal code can serialise differently: compare the code objects."""
    try:
        return marshal.loads(base64.b64decode(a)) == marshal.loads(base64.b64decode(b))
    except Exception:
        return False


def _json_equal(a, b):
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if isinstance(a, dict) and isinstance(b, dict):
        return sorted(a) == sorted(b) and all(_json_equal(a[x], b[x]) for x in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    return a == b


LAYER_CHECKS = ("output shape", "count_params", "weights (name, shape)", "weight paths",
                "get_config")


def judge_layer(k, l):
    """{"status", "checks": {check: None | difference text}} for one layer."""
    if k is None or k["outcome"] != "ran" or "error" in k:
        e = (k or {}).get("error")
        return {"status": "not run on keras",
                "reason": f"keras raises {e['type']}: {e['message'][:100]}" if e else
                f"keras {k and k['outcome']}"}
    if l is None or l["outcome"] != "ran" or "error" in l:
        e = (l or {}).get("error")
        reason = f"{e['type']}: {e['message'][:140]}" if e else f"lamina {l and l['outcome']}"
        category = classify_error(e)[0] if e else "lamina did not finish"
        return {"status": "mismatch", "category": category, "reason": reason,
                "checks": {c: "lamina failed" for c in LAYER_CHECKS}}
    k, l = k["layer"], l["layer"]
    checks = {
        "output shape": None if k["output_shapes"] == l["output_shapes"] else
        f"keras {k['output_shapes']}, lamina {l['output_shapes']}",
        "count_params": None if k["count_params"] == l["count_params"] else
        f"keras {k['count_params']}, lamina {l['count_params']}",
        "weights (name, shape)": None if k["weights"] == l["weights"] else
        f"keras {[tuple(w) for w in k['weights']]}, lamina {[tuple(w) for w in l['weights']]}",
        "weight paths": None if k["paths"] == l["paths"] else
        f"keras {k['paths']}, lamina {l['paths']}",
    }
    if l["config"] is None:
        checks["get_config"] = f"lamina get_config raises {l['config_error']['type']}"
    elif k["config"] is not None:
        differences = config_differences(k["config"], l["config"])
        checks["get_config"] = "; ".join(differences) or None
    else:
        checks["get_config"] = None
    # The weight paths are reported apart and do not decide the layer's match.
    decisive = [c for c in LAYER_CHECKS if c != "weight paths" and checks[c]]
    status = "mismatch" if decisive else "match"
    verdict = {"status": status, "checks": checks}
    if decisive:
        verdict["category"] = decisive[0] + " differs"
        verdict["reason"] = "; ".join(f"{c}: {checks[c]}" for c in decisive)
    return verdict


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
