"""`compile(jit_compile=True)`: fit, evaluate and predict run their step through `torch.compile`.

What is compiled is the step method itself (`train_step`, `test_step`, `predict_step`, the
user's override included), as Keras's torch backend does. The built-in train step is one graph:
forward pass, loss, gradients, the optimizer's multi-tensor update and the metric updates. Its
gradients come from `torch.autograd.grad` (Trainer.train_step), which Dynamo traces into the
graph when `trace_autograd_ops` is on; `run` below turns it on around lamina's steps only.
(`loss.backward()` would leave the gradients in `.grad` and break the graph there.) A user's
own train step that calls `backward()` still compiles, with graph breaks around that call. The
LSTM's fused kernel runs outside the graph (lamina/layers/rnn/fused.py), so its step breaks
around the kernel and around the gradient computation. `trace_autograd_ops` is for lamina's
own train step only: in a user's step that computes the loss, breaks the graph (e.g. at
`self.zero_grad()`) and then calls `loss.backward()`, Dynamo traced the backward call and the
gradients never reached the variables' `.grad` (the optimizer then got none); without the
setting that call runs eagerly between two graphs, as in Keras on torch.

Shapes are static (`dynamic=False`): a fit sees at most two batch sizes per step (the full
batch and a smaller last one), so each gets its own graph, compiled once, and the full batches
keep the specialised graph. Dynamo keeps its compiled code on the step's code object, so a new
wrapper per fit() reuses what an earlier fit() compiled, and nothing unpicklable is stored on
the model (it still deep-copies and pickles).

`jit_compile="auto"` means eager, as in Keras on torch: compiling takes seconds to minutes on
a CPU, which a short fit does not win back.
"""

import contextlib
import os
import warnings

import torch

# The torch.compile backend. Tests set "aot_eager" (the same graph capture and autograd, without
# code generation) to check the capture in seconds instead of minutes.
BACKEND = "inductor"
# torch.compile's `mode` for train and test steps (None: its default). bench/gpu_compile_modes.py
# measures the others ("reduce-overhead": CUDA graphs) against eager on a GPU. Never for
# predict_step: under CUDA graphs each replay overwrites the outputs that predict collects.
MODE = None
# Compiled versions kept per step function, for all models of the process together (two or so
# per model: the full batch and a smaller last one).
RECOMPILE_LIMIT = 64


def resolve(jit_compile, run_eagerly):
    """The bool compile() stores for `jit_compile` ("auto" -> False)."""
    if jit_compile == "auto" or jit_compile is None:
        return False
    if not isinstance(jit_compile, bool):
        raise ValueError(
            f"compile(jit_compile=...) expects True, False or 'auto'; received {jit_compile!r}.")
    if jit_compile and run_eagerly:
        warnings.warn(
            "compile(run_eagerly=True, jit_compile=True): a step cannot run eagerly and compiled "
            "at once; running eagerly. Pass one of the two.", UserWarning, stacklevel=3)
        return False
    return jit_compile


def step_function(model, name):
    """`model.<name>` as fit/evaluate/predict should call it: compiled under jit_compile."""
    step = getattr(model, name)
    if not getattr(model, "jit_compile", False):
        return step
    drop_dead_compilations(step)
    mode = None if name == "predict_step" else MODE
    compiled = torch.compile(step, dynamic=False, backend=BACKEND, mode=mode)
    settings = _dynamo_settings(trace_autograd=_builtin_train_step(model))

    def run(data):
        if _held[0]:  # inside fit/evaluate/predict, which hold the settings for the whole loop
            return compiled(data)
        with torch._dynamo.config.patch(**settings):  # (20 us: a tenth of a small step)
            return compiled(data)

    return run


def drop_dead_compilations(step=None):
    """Forget the compiled steps of models that no longer exist, before they fill the cache.

    Dynamo keeps each model's compiled versions on the shared code of the step (and of the
    frames it breaks into); when a model is deleted they are invalidated but stay, and still
    count toward the recompile limit, so a process training model after model (k-fold, a
    search) fell back to eager steps after about 30 models. A code object whose cache is half
    full and holds such dead versions is reset: live models then compile theirs again on their
    next step. Only lamina's code and the step function itself are touched, never the user's
    own torch.compile calls. (Internal Dynamo state: skipped if this torch lacks it.)"""
    try:
        from torch._dynamo import convert_frame
        from torch._dynamo.eval_frame import _debug_get_cache_entry_list

        codes = [ref() for ref in list(convert_frame.input_codes.seen)]
    except (ImportError, AttributeError):
        return
    own = getattr(getattr(step, "__func__", step), "__code__", None)
    for code in codes:
        if code is None or not (code is own or code.co_filename.startswith(_LAMINA_DIR)):
            continue
        entries = _debug_get_cache_entry_list(code)
        if len(entries) >= RECOMPILE_LIMIT // 2 and any(e.code is None for e in entries):
            torch._dynamo.reset_code(code)


_LAMINA_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_held = [0]  # how many held_settings blocks are open


@contextlib.contextmanager
def held_settings(model):
    """lamina's Dynamo settings, held around a whole fit/evaluate/predict loop of a compiled
    model instead of being patched in and out at every step.

    The gradients are traced into the step's graph (torch.autograd.grad, see
    Trainer.train_step): Dynamo does that only with `trace_autograd_ops` on, which is switched
    on while lamina's loops run, not for the user's own torch.compile calls elsewhere. Every
    model compiles its own steps (as Keras traces per model): Dynamo keeps them all on the one
    step function's code, so its limit of 8 versions per code object would make the fifth
    model of a process (k-fold, a search) run eagerly."""
    if not getattr(model, "jit_compile", False):
        yield
        return
    with torch._dynamo.config.patch(**_dynamo_settings(
            trace_autograd=_builtin_train_step(model))):
        _held[0] += 1
        try:
            yield
        finally:
            _held[0] -= 1


def _builtin_train_step(model):
    """True when `model` trains with lamina's own train step (see the module docstring)."""
    from lamina.trainers.trainer import Trainer

    return getattr(type(model), "train_step", None) is Trainer.train_step


def _dynamo_settings(config=None, trace_autograd=True):
    """The settings above, under the names this torch has: older releases call the limit
    `cache_size_limit` and cannot trace autograd.grad (the step then breaks around it, and
    runs that part eagerly). `trace_autograd=False` (a user's train step) sets
    `trace_autograd_ops` off explicitly, whatever the user's own setting."""
    config = torch._dynamo.config if config is None else config
    settings = {}
    if hasattr(config, "trace_autograd_ops"):
        settings["trace_autograd_ops"] = trace_autograd
    if hasattr(config, "recompile_limit"):
        settings["recompile_limit"] = RECOMPILE_LIMIT
    elif hasattr(config, "cache_size_limit"):
        settings["cache_size_limit"] = RECOMPILE_LIMIT
    return settings
