"""ModelCheckpoint: save the model (or its weights) during `fit`, every epoch or every N batches."""

import os
import warnings

import numpy as np
import torch

from lamina.callbacks.monitor_callback import _LEGACY_NAMES, MonitorCallback
from lamina.distribution.model_parallel import gathered
from lamina.distribution.process_group import is_main_process
from lamina.registry.export import keras_export
from lamina.saving import atomic
from lamina.utils.arguments import check_kwargs, user_stacklevel

_MODEL_EXTENSIONS = (".keras", ".h5", ".hdf5")
_WEIGHTS_EXTENSIONS = (".weights.h5", ".h5", ".hdf5", ".pt", ".pth")
_ARGUMENTS = {"filepath", "monitor", "verbose", "save_best_only", "save_weights_only", "mode",
              "save_freq", "initial_value_threshold", "period", "options"}


@keras_export("callbacks.ModelCheckpoint")
class ModelCheckpoint(MonitorCallback):
    """Write the model (or only its weights) to `filepath` as training goes.

    Args:
        filepath: where to save (a str or path-like). It may contain `str.format` fields filled
            at save time: `{epoch}` (1-based), `{batch}` (1-based, with an integer `save_freq`)
            and any logged value, e.g. `"ckpt/{epoch:02d}-{val_loss:.2f}.keras"`. Keras 2 names
            work too (`{val_acc}` is `val_accuracy`). The extension picks the format: `.keras`
            (Keras 3 archive) or `.h5`/`.hdf5` (legacy Keras 2 file) for the whole model;
            `.weights.h5` (or legacy `.h5`, or a PyTorch `.pt`) with `save_weights_only=True`.
            Missing directories are created.
        monitor: the logs key that decides what "best" is when `save_best_only=True`.
        verbose: 1 prints a line each time the callback saves or declines to.
        save_best_only: save only when `monitor` improves on the best value seen so far (with a
            fixed file name the best model keeps being overwritten by better ones).
        save_weights_only: save with `model.save_weights()` instead of `model.save()`.
        mode: "auto", "min" or "max": whether lower or higher `monitor` values are better
            ("auto" works it out from the name, see `MonitorCallback`).
        save_freq: "epoch" (at the end of each epoch) or an integer N (after every N training
            batches, counted across epochs; batch-level logs are running averages of the epoch).
        initial_value_threshold: with `save_best_only`, a value `monitor` must beat before the
            first save.

    Example:
        checkpoint = ModelCheckpoint("best.keras", monitor="val_accuracy", save_best_only=True)
        model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])
        best = lamina.models.load_model("best.keras")
    """

    _missing_message = ("ModelCheckpoint with save_best_only=True is conditioned on metric "
                        "`{monitor}`")

    _takes_device_logs = True  # reads batch logs' tensors only when needed

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None, **kwargs):
        check_kwargs(kwargs, _ARGUMENTS, "ModelCheckpoint()")
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._epoch_period = _legacy_period(kwargs)
        _check_save_freq(save_freq)
        _check_extension(self.filepath, save_weights_only)
        self._current_epoch = 0
        self._batches_since_save = 0

    # ------------------------------------------------------------------ hooks
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, _host_values(logs))

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" and (epoch + 1) % self._epoch_period == 0:
            self._save(epoch, None, logs or {})

    # ------------------------------------------------------------------ saving
    def _save(self, epoch, batch, logs):
        filepath = self._format_filepath(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        if not is_main_process():  # in a multi-process job process 0 saves (all decide alike)
            with gathered(self.model):  # (ModelParallel: every process sends its part)
                return
        directory = os.path.dirname(filepath)
        if directory:
            atomic.make_directories(directory, filepath)
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"ModelCheckpoint cannot save to '{filepath}': it is an existing directory. Give "
                "a file path, e.g. os.path.join(directory, 'model.keras')."
            )
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        self._say(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")  # (as Keras)

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            self._say(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = self.get_monitor_value(logs)  # warns (listing the logged keys) when absent
        if current is None:
            return True  # as Keras: without the value, save rather than lose the model
        if np.ndim(current) > 0:
            warnings.warn(
                f"ModelCheckpoint can keep the best model only for a scalar `{self.monitor}`; "
                f"received a value of shape {np.shape(current)}. Saving every time instead.",
                stacklevel=3,
            )
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            self._say(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        self._say(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _format_filepath(self, epoch, batch, logs):
        values = _with_legacy_aliases(logs)
        values["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(**values)
        except KeyError as error:
            missing = error.args[0]
            hint = (" `{batch}` is only filled when save_freq is a number of batches."
                    if missing == "batch" else "")
            raise KeyError(
                f"Failed to format the ModelCheckpoint filepath {self.filepath}: there is no "
                f"value for {{{missing}}}. Available names: {', '.join(sorted(values))}.{hint}"
            ) from None

    def _say(self, message):
        if self.verbose > 0 and is_main_process():
            print(message)


def _check_extension(filepath, save_weights_only):
    if save_weights_only:
        if not filepath.endswith(_WEIGHTS_EXTENSIONS):
            raise ValueError(
                "With save_weights_only=True, the ModelCheckpoint filepath must end in "
                "`.weights.h5` (or `.h5` for the Keras 2 weights layout, `.pt` for a PyTorch "
                f"state_dict). Received: filepath={filepath}"
            )
    elif filepath.endswith(".weights.h5"):
        raise ValueError(
            f"The ModelCheckpoint filepath {filepath} names a weights file (`.weights.h5`), but "
            "save_weights_only=False saves the whole model. Pass save_weights_only=True, or use "
            "a name ending in `.keras`."
        )
    elif not filepath.endswith(_MODEL_EXTENSIONS):
        raise ValueError(
            "The ModelCheckpoint filepath must end in `.keras` (Keras 3 format) or `.h5` (legacy "
            "Keras 2 format) to save the whole model; for weights only, pass "
            f"save_weights_only=True and a name ending in `.weights.h5`. Received: "
            f"filepath={filepath}"
        )


def _check_save_freq(save_freq):
    if save_freq == "epoch":
        return
    if isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1:
        raise ValueError(
            f"Unrecognized save_freq: {save_freq!r}. Expected 'epoch' (save at the end of each "
            "epoch) or a positive integer (save every that many batches)."
        )


def _legacy_period(kwargs):
    """Keras 2's `period=N`: save every N epochs. `options` (TF SaveOptions) has no meaning here."""
    if "options" in kwargs:
        warnings.warn(
            "ModelCheckpoint(options=...) holds TensorFlow save options; lamina ignores it.",
            DeprecationWarning,
            stacklevel=user_stacklevel(),
        )
    period = kwargs.get("period")
    if period is None:
        return 1
    warnings.warn(
        "ModelCheckpoint(period=N) is Keras 2 API (Keras 3 removed it): lamina still saves every "
        "N epochs. For a Keras 3 equivalent use save_freq=N * steps_per_epoch (in batches).",
        DeprecationWarning,
        stacklevel=user_stacklevel(),
    )
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise ValueError(
            f"period must be a positive integer number of epochs; received {period!r}.")
    return period


def _with_legacy_aliases(logs):
    """The logs plus each value under its other Keras-generation name (`acc` <-> `accuracy`)."""
    values = {}
    for key, value in logs.items():
        prefix, name = ("val_", key[4:]) if key.startswith("val_") else ("", key)
        for old, new in _LEGACY_NAMES.items():
            if name == new:
                values[prefix + old] = value
            elif name == old:
                values[prefix + new] = value
    values.update(logs)
    return values


def _host_values(logs):
    """Batch logs hold device tensors: read them (one sync) only when a save happens."""
    values = {}
    for key, value in (logs or {}).items():
        if isinstance(value, torch.Tensor):
            value = value.item() if value.numel() == 1 else value.detach().cpu().numpy()
        values[key] = value
    return values
