"""BackupAndRestore: a killed training run, started again, continues where it stopped.

A backup is one file, `<backup_dir>/training_state.pt`, written atomically (temporary name, then
rename): the model's and optimizer's tensors, the compiled metrics' state, where training stood
(epoch, batch, and for in-memory data the epoch's sample order), every random number generator
state (torch, CUDA, numpy, Python, and each layer's own generator: `Dropout(seed=...)`,
`GaussianNoise`, the `SeedGenerator` of a random augmentation layer, ...) and the dynamic loss
scale of float16 training. Restoring all of that makes the resumed run take exactly the steps
the uninterrupted run would have taken — bitwise on CPU with a fixed seed. A SIGKILL at any
moment leaves either the previous backup or the new one, never a torn file.

The callback uses only the public `model.training_state` (lamina/trainers/training_state.py)
that `fit` creates before `on_train_begin`: it reads the epoch, the step and the data's position
from it, captures and restores the random states through it, and asks fit to continue from the
backup with `training_state.resume_from(epoch, step, data_state)`.

In a multi-process job process 0 writes the file and reads it back at the restart, sending it to
the other processes; the backup also holds each process's own random states and running metric
states, so a resumed distributed run continues exactly too. A backup made with a different
number of processes restarts the epoch it was saved in (the batches were split differently).

The file holds plain values only (dicts, lists, numbers, strings and CPU tensors), so it is read
with `torch.load(..., weights_only=True)`: loading a backup never runs pickled code. A backup
written by an older lamina version (a pickled file) is refused with a message asking to delete
the backup directory, which starts training afresh.
"""

import os
import warnings

import numpy as np
import torch

from lamina.callbacks.callback import Callback
from lamina.distribution import process_group
from lamina.registry.export import keras_export
from lamina.saving import atomic, torch_file

_FILENAME = "training_state.pt"
_FORMAT = "lamina.BackupAndRestore"
_VERSION = 2


@keras_export("callbacks.BackupAndRestore")
class BackupAndRestore(Callback):
    _takes_device_logs = True  # reads batch logs' tensors only when needed

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
        from lamina.distribution import model_parallel

        if model_parallel.is_sharded(self.model):
            raise NotImplementedError(
                "BackupAndRestore cannot back up a model that ModelParallel shards yet (its "
                "backup holds each weight whole). Use ModelCheckpoint(..., save_freq=...) "
                "to save the model periodically and load it to resume, or train with "
                "DataParallel, which BackupAndRestore supports.")
        if process_group.is_distributed():  # process 0 reads the file and sends it round
            from lamina.distribution import collectives

            found = process_group.is_main_process() and os.path.exists(self._path)
            state = collectives.broadcast_object(self._load() if found else None)
            if state is not None:
                self._restore(state)
        elif os.path.exists(self._path):
            self._restore(self._load())

    def on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        if self.save_freq != "epoch" and self._batches_seen % self.save_freq == 0:
            state = self.model.training_state
            self._save(state.epoch, state.step, mid_epoch=True)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0, mid_epoch=False)

    def on_train_end(self, logs=None):
        if not process_group.is_main_process():
            return
        if self.delete_checkpoint and os.path.exists(self._path):
            os.remove(self._path)

    # ------------------------------------------------------------------ the backup file
    def _save(self, epoch, step, mid_epoch):
        model = self.model
        training_state = model.training_state
        data_state = training_state.data_state() if mid_epoch else None
        if mid_epoch and data_state is None:
            step = 0  # this data source cannot be resumed mid-epoch: redo the epoch from its start
        own = _plain({"rng": training_state.get_rng_state(),
                      "metrics": [v.detach().cpu().clone() for m in model.metrics
                                  for v in m.variables]}, "the backup")
        processes = None
        if process_group.is_distributed():  # each process's own states, gathered on process 0
            from lamina.distribution import collectives

            processes = collectives.gather_objects(own)
            if not process_group.is_main_process():
                return
        state = {
            "format": _FORMAT,
            "version": _VERSION,
            "epoch": epoch,
            "step": step,
            "data": data_state,
            "model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
            "optimizer": [v.detach().cpu().clone() for v in _optimizer_variables(model)],
            "metrics": own["metrics"],
            "rng": own["rng"],
            "loss_scale": training_state.get_loss_scale_state(),
            "num_processes": process_group.num_processes(),
            "processes": processes,
        }
        state = _plain(state, "the backup")
        atomic.torch_save(state, self._path)

    def _load(self):
        delete = (f"Delete the backup directory '{self.backup_dir}' to start training afresh "
                  "(the run will not resume from it).")
        try:
            state = torch_file.load(self._path, "a BackupAndRestore backup")
        except torch_file.RefusedContent as error:
            raise ValueError(
                f"The backup '{self._path}' cannot be read safely: it was written by an older "
                "lamina version (which pickled Python objects into it) or is not a "
                f"BackupAndRestore file. {delete}"
            ) from error
        except ValueError as error:  # empty, damaged or foreign: say which, and what to do
            raise ValueError(f"{error} {delete}") from error
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ValueError(f"'{self._path}' is not a BackupAndRestore backup. {delete}")
        if state.get("version") != _VERSION:
            raise ValueError(
                f"The backup '{self._path}' has format version {state.get('version')!r}; this "
                f"lamina reads version {_VERSION}. {delete}"
            )
        return state

    def _restore(self, state):
        model = self.model
        state, same_split = _this_process_part(state, self.backup_dir)
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
            if same_split and len(metric_variables) == len(state["metrics"]):
                for variable, value in zip(metric_variables, state["metrics"]):
                    variable.copy_(value.to(variable.device))
        training_state = model.training_state
        training_state.set_rng_state(state["rng"])
        training_state.set_loss_scale_state(state["loss_scale"])
        if same_split:
            training_state.resume_from(state["epoch"], state["step"], state["data"])
        else:
            training_state.resume_from(state["epoch"], 0, None)


def _this_process_part(state, backup_dir):
    """The backup as this process should restore it (its own random and metric states), and
    whether the data was split as it is now (the same number of processes)."""
    saved = state.get("num_processes", 1)
    now = process_group.num_processes()
    if saved != now:
        warnings.warn(
            f"The backup in '{backup_dir}' was made by {saved} process(es) and this run has "
            f"{now}: the batches are split differently, so training restarts the epoch the "
            "backup was made in (weights and optimizer state are restored).", stacklevel=3)
        return state, False
    parts = state.get("processes")
    if parts:
        state = dict(state, **parts[process_group.process_id()])
    return state, True


def _optimizer_variables(model):
    optimizer = getattr(model, "optimizer", None)
    return list(getattr(optimizer, "variables", []) or [])


def _plain(value, where):
    """`value` made of what `torch.load(weights_only=True)` reads back: dicts (str or int keys),
    lists, str, int, float, bool, None and CPU tensors (numpy values become tensors / numbers,
    tuples become lists). Anything else is a bug in whatever produced the state."""
    if isinstance(value, np.generic):  # (before float: np.float64 is a float subclass)
        return value.item()
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.array(value))
    if isinstance(value, dict) and all(type(k) in (str, int) for k in value):
        return {k: _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(
        f"BackupAndRestore cannot store {where}: a {type(value).__name__} is not a plain value "
        "(dict, list, number, string or tensor)."
    )
