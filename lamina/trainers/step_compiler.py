"""`compile(jit_compile=True)`: fit, evaluate and predict run their step through `torch.compile`.

What is compiled is the step method itself (`train_step`, `test_step`, `predict_step`, the
user's override included), as Keras's torch backend does. Dynamo captures the forward pass and
the loss in one graph, AOTAutograd derives a compiled backward graph from it, and the code after
`loss.backward()` (the optimizer's multi-tensor update and the metric updates) is a second
graph: two graphs per training step, one break, at `backward()`.

Shapes are static (`dynamic=False`): a fit sees at most two batch sizes per step (the full
batch and a smaller last one), so each gets its own graph, compiled once, and the full batches
keep the specialised graph. Dynamo keeps its compiled code on the step's code object, so a new
wrapper per fit() reuses what an earlier fit() compiled, and nothing unpicklable is stored on
the model (it still deep-copies and pickles).

`jit_compile="auto"` means eager, as in Keras on torch: compiling takes seconds to minutes on
a CPU, which a short fit does not win back.
"""

import warnings

import torch

# The torch.compile backend. Tests set "aot_eager" (the same graph capture and autograd, without
# code generation) to check the capture in seconds instead of minutes.
BACKEND = "inductor"


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
    return torch.compile(step, dynamic=False, backend=BACKEND)
