"""A warning when fit's loss becomes NaN or infinite (Keras trains on in silence).

Nothing is read from the device during the epoch: each step's loss is only kept by reference
(no kernel, no sync), and at the end of the epoch, when the epoch's mean loss is read anyway,
a non-finite mean sends one to look for the first bad step. The warning comes once per fit,
names the epoch and the step, and points to TerminateOnNaN, which stops at the bad step.
Under jit_compile, and in a custom train_step that does not call the base loss tracking, the
step is not known and the warning names the epoch only.
"""

import math
import warnings

import torch


class LossWatch:
    def __init__(self, callbacks):
        from lamina.callbacks.terminate_on_nan import TerminateOnNaN

        # With TerminateOnNaN in place the user has already chosen what happens.
        self.active = not any(isinstance(c, TerminateOnNaN) for c in callbacks)
        self.step_losses = None
        self.first_step = 0

    def start_epoch(self, model, first_step):
        if self.active:
            self.step_losses = model.__dict__["_step_losses"] = []
            self.first_step = first_step

    def end_epoch(self, model, epoch, logs):
        if not self.active:
            return
        model.__dict__.pop("_step_losses", None)
        loss = logs.get("loss")
        if not isinstance(loss, (int, float)) or math.isfinite(loss):
            return
        self.active = False  # once per fit
        where = f"in epoch {epoch + 1}"
        if self.step_losses:
            finite = torch.isfinite(torch.stack([t.float() for t in self.step_losses]).cpu())
            bad = (~finite).nonzero()
            if len(bad):
                where += f" at step {self.first_step + int(bad[0])}"
        warnings.warn(
            f"The training loss became {loss} {where}; the weights are probably NaN now and "
            "the rest of the training does nothing useful. Add "
            "`callbacks=[lamina.callbacks.TerminateOnNaN()]` to fit() to stop at the first such "
            "step. Common causes: a learning rate too high, log(0) in a custom loss, NaN or "
            "infinite values in the data, float16 overflow.", RuntimeWarning, stacklevel=3)


def record(model, loss):
    """Called by the base train step: keep this step's loss (a reference, no device work)."""
    losses = model.__dict__.get("_step_losses")
    if losses is not None and not torch.compiler.is_compiling():
        losses.append(loss.detach())
