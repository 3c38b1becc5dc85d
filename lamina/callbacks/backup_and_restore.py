"""BackupAndRestore: a killed training run, started again, continues where it stopped.

A backup is one file, `<backup_dir>/training_state.pt`, written atomically (temporary name, then
rename): the model's and optimizer's tensors, the compiled metrics' state, where training stood
(epoch, batch, and for in-memory data the epoch's sample order), and the random number generator
states (torch, CUDA, numpy, Python). Restoring all of that makes the resumed run take exactly the
steps the uninterrupted run would have taken — bitwise on CPU with a fixed seed. A SIGKILL at any
moment leaves either the previous backup or the new one, never a torn file.
"""

import os
import random

import numpy as np
import torch

from lamina.callbacks.callback import Callback
from lamina.saving import atomic
from lamina.saving.object_registry import register_builtin

_FILENAME = "training_state.pt"


@register_builtin("callbacks")
class BackupAndRestore(Callback):
    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore needs a `backup_dir` (a directory to keep backups in).")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or save_freq <= 0):
            raise ValueError(
                f"`save_freq` must be 'epoch' or a positive number of batches; received {save_freq!r}."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._batches_seen = 0

    @property
    def _path(self):
        return os.path.join(self.backup_dir, _FILENAME)

    def on_train_begin(self, logs=None):
        self._batches_seen = 0
        if os.path.exists(self._path):
            self._restore(torch.load(self._path, map_location="cpu", weights_only=False))

    def on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        if self.save_freq != "epoch" and self._batches_seen % self.save_freq == 0:
            epoch, step = self.model._fit_position
            self._save(epoch, step, mid_epoch=True)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0, mid_epoch=False)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self._path):
            os.remove(self._path)

    # ------------------------------------------------------------------ the backup file
    def _save(self, epoch, step, mid_epoch):
        model = self.model
        adapter = getattr(model, "_fit_adapter", None)
        data_state = adapter.state() if mid_epoch and hasattr(adapter, "state") else None
        if mid_epoch and data_state is None:
            step = 0  # this data source cannot be resumed mid-epoch: redo the epoch from its start
        state = {
            "epoch": epoch,
            "step": step,
            "data": data_state,
            "model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
            "optimizer": [v.detach().cpu().clone() for v in _optimizer_variables(model)],
            "metrics": [v.detach().cpu().clone() for m in model.metrics for v in m.variables],
            "rng": {
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                "numpy": np.random.get_state(),
                "python": random.getstate(),
            },
        }
        with atomic.atomic_write(self._path) as f:
            torch.save(state, f)

    def _restore(self, state):
        model = self.model
        model.load_state_dict(state["model"])
        variables = _optimizer_variables(model)
        if len(variables) != len(state["optimizer"]):
            raise ValueError(
                f"The backup in '{self.backup_dir}' holds {len(state['optimizer'])} optimizer "
                f"variables but this model's optimizer has {len(variables)}: it was made by a "
                "different model or optimizer. Delete the backup directory to start afresh."
            )
        with torch.no_grad():
            for variable, value in zip(variables, state["optimizer"]):
                variable.copy_(value.to(variable.device))
            metric_variables = [v for m in model.metrics for v in m.variables]
            if len(metric_variables) == len(state["metrics"]):
                for variable, value in zip(metric_variables, state["metrics"]):
                    variable.copy_(value.to(variable.device))
        rng = state["rng"]
        torch.set_rng_state(rng["torch"])
        if rng["cuda"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
        np.random.set_state(rng["numpy"])
        random.setstate(rng["python"])
        model._fit_resume = {"epoch": state["epoch"], "step": state["step"], "data": state["data"]}


def _optimizer_variables(model):
    optimizer = getattr(model, "optimizer", None)
    return list(getattr(optimizer, "variables", []) or [])
