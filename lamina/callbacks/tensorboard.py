"""TensorBoard: log losses, metrics, weight histograms and images for TensorBoard to display.

Event files go to `log_dir/train` and `log_dir/validation`, with the tags Keras writes
(`epoch_loss`, `epoch_accuracy`, `epoch_learning_rate`, `batch_loss`, ...). When the
`tensorboard` package is installed they are written by `torch.utils.tensorboard.SummaryWriter`;
otherwise by lamina's own small writer (`tensorboard_events.py`), so the callback needs no extra
package. View them with `tensorboard --logdir logs`.
"""

import os
import time
import warnings

import numpy as np
import torch

from lamina import config
from lamina.callbacks import tensorboard_events as events
from lamina.callbacks.callback import Callback
from lamina.callbacks.learning_rate_scheduler import current_learning_rate
from lamina.distribution.process_group import is_main_process
from lamina.registry.export import keras_export
from lamina.utils.arguments import check_kwargs, user_stacklevel

# Keras 2 (tf.keras 1.x/2.0) arguments that have no effect any more.
_IGNORED_LEGACY_KWARGS = ("batch_size", "write_grads", "embeddings_layer_names", "embeddings_data")
_ARGUMENTS = ("log_dir", "histogram_freq", "write_graph", "write_images", "write_steps_per_second",
              "update_freq", "profile_batch", "embeddings_freq", "embeddings_metadata")


@keras_export("callbacks.TensorBoard")
class TensorBoard(Callback):
    """Write TensorBoard logs while a model trains or is evaluated.

    Args:
        log_dir: the directory of the logs (one `train` and one `validation` run inside it).
            Do not share it with other callbacks.
        histogram_freq: every this many epochs, write a histogram of each weight
            (0: never).
        write_graph: write the model's configuration, shown by TensorBoard's Graphs dashboard
            ("Keras" tag) as the conceptual graph.
        write_images: with `histogram_freq`, also write each kernel/bias as an image
            (scaled so its minimum is black and its maximum white).
        write_steps_per_second: also log training steps per second.
        update_freq: "epoch" (log the epoch results), "batch" (also every batch) or an
            integer N (also every N batches; batch values are the epoch's running averages).
        profile_batch: profile these training batches with `torch.profiler` and write the trace
            for TensorBoard's PyTorch profiler plugin: an integer (one batch, counted from 1),
            a pair `(start, stop)` or "start,stop"; 0 turns profiling off.
        embeddings_freq, embeddings_metadata: accepted for compatibility; the embedding
            projector is not written.

    Also written: `evaluation_<metric>_vs_iterations` (validation results against the number of
    optimizer steps) in the validation run.

    Example:
        model.fit(x, y, validation_split=0.2, epochs=5,
                  callbacks=[lamina.callbacks.TensorBoard(log_dir="logs/run1")])
    """

    _takes_device_logs = True  # reads batch logs' tensors only when needed

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None, **kwargs):
        check_kwargs(kwargs, set(_ARGUMENTS + _IGNORED_LEGACY_KWARGS), "TensorBoard()")
        for name in kwargs:
            warnings.warn(f"TensorBoard({name}=...) is a Keras 2 argument with no effect; "
                          "remove it.", DeprecationWarning, stacklevel=user_stacklevel())
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or (
                histogram_freq < 0):
            raise ValueError("TensorBoard: `histogram_freq` (write weight histograms every this "
                             "many epochs; 0 = never) must be an integer >= 0. "
                             f"Received: histogram_freq={histogram_freq!r}")
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = _check_update_freq(update_freq)
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        if embeddings_freq:
            warnings.warn("TensorBoard(embeddings_freq=...): lamina does not write the embedding "
                          "projector; the setting is ignored.", stacklevel=2)
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self._writers = {}
        self._profiler = None
        self._global_train_batch = 0
        self._training = False

    # ------------------------------------------------------------------ writers
    @property
    def _train_dir(self):
        return os.path.join(self.log_dir, "train")

    @property
    def _val_dir(self):
        return os.path.join(self.log_dir, "validation")

    def _writer(self, run):
        """Writers are made on first use, so a run with nothing to log makes no file."""
        if run not in self._writers:
            directory = self._train_dir if run == "train" else self._val_dir
            # In a multi-process job only process 0 writes event files.
            self._writers[run] = make_writer(directory) if is_main_process() else _NoWriter()
        return self._writers[run]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model):
        super().set_model(model)
        self._close_writers()  # each fit/evaluate starts new event files, as Keras does

    # ------------------------------------------------------------------ training hooks
    def on_train_begin(self, logs=None):
        self._training = True
        self._global_train_batch = 0
        if self.write_graph:
            self._write_model_config()

    def on_train_end(self, logs=None):
        self._training = False
        self._stop_profiler()
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_batches = 0
        self._evaluated_this_epoch = False

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batch_start = time.perf_counter()
        if self._start_batch and self._global_train_batch == self._start_batch:
            self._start_profiler()

    def on_train_batch_end(self, batch, logs=None):
        self._epoch_batches += 1
        step = self._global_train_batch
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            writer = self._writer("train")
            if self.write_steps_per_second:
                elapsed = time.perf_counter() - self._batch_start
                writer.add_scalar("batch_steps_per_second", 1.0 / max(elapsed, 1e-9), step)
            for name, value in (logs or {}).items():
                value = _scalar(value)  # reads the device value: only on logged batches
                if value is not None:
                    writer.add_scalar(f"batch_{name}", value, step)
        if self._profiler is not None and step >= self._stop_batch:
            self._stop_profiler()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        learning_rate = _learning_rate(self.model)
        if learning_rate is not None:
            train_logs["learning_rate"] = learning_rate
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_start
            train_logs["steps_per_second"] = self._epoch_batches / max(elapsed, 1e-9)
        self._write_scalars("train", train_logs, "epoch_{}", epoch)
        self._write_scalars("validation", val_logs, "epoch_{}", epoch)
        if val_logs and not self._evaluated_this_epoch:
            # Keras validates through evaluate(), whose on_test_end writes these.
            self._write_evaluation(val_logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    # ------------------------------------------------------------------ evaluate hooks
    def on_test_end(self, logs=None):
        self._evaluated_this_epoch = True
        if logs:
            self._write_evaluation(logs)
        if not self._training:  # a standalone evaluate(): nothing more will be written
            self._close_writers()

    # ------------------------------------------------------------------ summaries
    def _write_scalars(self, run, logs, tag_format, step):
        values = {name: _scalar(value) for name, value in logs.items()}
        values = {name: value for name, value in values.items() if value is not None}
        if values:
            writer = self._writer(run)
            for name, value in values.items():
                writer.add_scalar(tag_format.format(name), value, step)

    def _write_evaluation(self, logs):
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        if iterations is not None:
            self._write_scalars("validation", logs, "evaluation_{}_vs_iterations", int(iterations))

    def _write_model_config(self):
        try:
            text = self.model.to_json()
        except (NotImplementedError, TypeError, ValueError, AttributeError):
            return  # a subclassed model without get_config(): no conceptual graph
        value = events.text_tensor_value("keras", text, "graph_keras_model", b"1")
        self._writer("train").add_summary_bytes(events.summary_bytes(value), 0)

    def _write_weights(self, epoch):
        writer = self._writer("train")
        seen = set()
        for layer in self.model.layers:
            for weight in layer.weights:
                if id(weight) in seen:
                    continue
                seen.add(id(weight))
                name = _weight_tag(self.model, weight)
                values = weight.detach().to("cpu", torch.float32).numpy()
                writer.add_histogram(f"{name}/histogram", values, epoch)
                image = _weight_image(values) if self.write_images else None
                if image is not None:
                    value = events.image_value(f"{name}/image", image)
                    writer.add_summary_bytes(events.summary_bytes(value), epoch)

    # ------------------------------------------------------------------ profiling
    def _start_profiler(self):
        if not is_main_process():
            return
        activities = [torch.profiler.ProfilerActivity.CPU]
        if torch.cuda.is_available():
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        handler = torch.profiler.tensorboard_trace_handler(self._train_dir)
        self._profiler = torch.profiler.profile(activities=activities, on_trace_ready=handler)
        self._profiler.start()

    def _stop_profiler(self):
        if self._profiler is not None:
            profiler, self._profiler = self._profiler, None
            profiler.stop()


# ---------------------------------------------------------------------------- writer choice
class _NoWriter:
    """What the processes other than process 0 of a job write with: nothing."""

    def add_scalar(self, *args):
        pass

    add_histogram = add_summary_bytes = add_scalar

    def flush(self):
        pass

    close = flush


class _TorchSummaryWriter:
    """`torch.utils.tensorboard.SummaryWriter`, plus raw summaries (images, model config)."""

    def __init__(self, log_dir):
        from torch.utils.tensorboard import SummaryWriter

        self._writer = SummaryWriter(log_dir)

    def add_scalar(self, tag, value, step):
        self._writer.add_scalar(tag, value, step)

    def add_histogram(self, tag, values, step):
        self._writer.add_histogram(tag, values, step, bins="tensorflow")

    def add_summary_bytes(self, summary, step):
        from tensorboard.compat.proto.summary_pb2 import Summary

        self._writer._get_file_writer().add_summary(Summary.FromString(summary), step)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def tensorboard_installed():
    try:
        import tensorboard  # noqa: F401
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        return False
    return True


def make_writer(log_dir):
    """An event-file writer for `log_dir`: tensorboard's when installed, else lamina's own."""
    if tensorboard_installed():
        return _TorchSummaryWriter(log_dir)
    return events.EventFileWriter(log_dir)


# ---------------------------------------------------------------------------- helpers
def _check_update_freq(update_freq):
    if update_freq == "batch":
        return 1
    if update_freq == "epoch":
        return update_freq
    if isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1:
        raise ValueError(
            f"TensorBoard update_freq must be 'epoch', 'batch' or a positive integer number of "
            f"batches; received {update_freq!r}."
        )
    return update_freq


def _profile_range(profile_batch):
    message = (
        "profile_batch must be a non-negative integer or a pair of positive integers "
        f"(start, stop) with start <= stop, e.g. (10, 20) or '10,20'. Found: {profile_batch!r}"
    )
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
        value = value[0] if len(value) == 1 else value
    if isinstance(value, int) and not isinstance(value, bool):
        start = stop = value
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        start, stop = value
    else:
        raise ValueError(message)
    if start < 0 or stop < start or (start == 0 and stop != 0):
        raise ValueError(message)
    return start, stop


def _scalar(value):
    """A Python float for a scalar log value (Python number, 0-d array/tensor), else None."""
    if isinstance(value, torch.Tensor):
        return float(value) if value.numel() == 1 else None
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1:
        return float(value.reshape(()))
    return None


def _learning_rate(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(optimizer, "learning_rate", None) is None:
        return None
    try:
        return current_learning_rate(optimizer)
    except (TypeError, ValueError):
        return None


def _weight_tag(model, weight):
    path = str(getattr(weight, "path", None) or getattr(weight, "name", "weight"))
    path = path.replace(":", "_")
    return path if path.startswith(model.name + "/") else f"{model.name}/{path}"


def _weight_image(values):
    """A weight as a grayscale image, laid out as Keras does; None for shapes it cannot show."""
    values = np.squeeze(values)
    if values.ndim == 1:  # a bias: one row
        image = values[None, :]
    elif values.ndim == 2:  # a dense kernel, wider than tall
        image = values.T if values.shape[0] > values.shape[1] else values
    elif values.ndim == 3:  # a 1D-conv kernel: show the first output channel's kernel
        if config.image_data_format() == "channels_last":
            values = np.transpose(values, (2, 0, 1))
        image = values[0]
    else:
        return None
    low, high = float(image.min()), float(image.max())
    scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return np.round(scaled * 255).astype(np.uint8)
