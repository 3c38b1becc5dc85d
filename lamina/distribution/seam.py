"""The distribution seam: everything the trainer does differently in a data-parallel job.

The trainer asks `seam_for(model)` once per compile / fit / evaluate / predict; outside a job it
gets None and runs its single-process code unchanged (nothing here costs a single-process step
anything). In a job the seam:

- gives each data adapter this process's rank and the job size (`shard`): every process reads
  its own contiguous part of each global batch (`batch_size * num_processes` samples), in an
  order shuffled each epoch with a seed process 0 draws, and every process runs the same number
  of steps: a process left without samples in the last step runs a *padding* step on one
  duplicated sample that changes neither the gradient nor the metrics;
- wraps the model in `DistributedDataParallel` for the training step (`train_step`). The model
  the user holds stays the lamina model: `self(x)` inside `train_step` runs through DDP (see
  `Trainer.__call__`), which all-reduces the gradients into the model's own parameters while
  the backward pass runs. Each process's gradient is weighted by its share of the step's
  samples (a communication hook), so the result is the gradient of the whole global batch, also
  for an uneven last batch. The weighting assumes the loss is a mean over the batch (Keras's
  default reduction, "sum_over_batch_size");
- sums the metrics' states over processes before their results are read at the end of an epoch
  or an evaluation (`reduce_metrics`), so History, evaluate() and the progress bar's final line
  are the global values on every process (the bar's values during an epoch are process 0's);
- broadcasts process 0's non-trainable state (BatchNormalization moving statistics, module
  buffers) at the end of each epoch and of fit (`sync_states`), as DDP does with buffers;
- gathers predict()'s outputs from every process into the original order (`gather_predictions`).

Under ModelParallel the seam is a `ModelParallelSeam` (model_parallel.py): the same data,
metric and prediction handling, with the model sharded by FSDP2 instead of wrapped in DDP.
"""

import contextlib

import torch
import torch.distributed as dist

from lamina.distribution import collectives, distribution_lib
from lamina.utils import tree

NO_FORWARD_MESSAGE = (
    "Under DataParallel, a training step must call the model itself once (`self(x)` in "
    "train_step) so that DistributedDataParallel can average the gradients between processes. "
    "This train_step did not, so the processes' weights would drift apart. Call `self(x)` in "
    "train_step, or train this model in a single process."
)

UNUSED_PARAMETERS_MESSAGE = (
    "Some trainable weights of this model took no part in the last training step's forward "
    "pass, so DistributedDataParallel could not finish averaging the gradients. Tell it to look "
    "for them: lamina.distribution.set_distribution(lamina.distribution.DataParallel("
    "find_unused_parameters=True)) before fit(); or freeze those weights (trainable=False)."
)


def seam_for(model):
    """The model's seam in the current distribution, or None outside a multi-process job."""
    distribution = distribution_lib.distribution()
    if distribution is None or distribution.num_processes <= 1:
        return None
    seam = model.__dict__.get("_distribution_seam")
    if seam is None or seam.distribution is not distribution:
        if isinstance(distribution, distribution_lib.ModelParallel):
            from lamina.distribution.model_parallel import ModelParallelSeam

            seam = ModelParallelSeam(distribution)
        else:
            seam = DataParallelSeam(distribution)
        model.__dict__["_distribution_seam"] = seam  # (a plain attribute: no submodule)
    return seam


_active = {"seam": None}


def active_seam():
    """The seam of the training step running now (None outside one): layers that combine
    values between processes (BatchNormalization(synchronized=True)) read its `share`."""
    return _active["seam"]


def device():
    """The device this process trains on, or None outside a job (then the trainer decides)."""
    distribution = distribution_lib.distribution()
    if distribution is None or distribution.num_processes <= 1:
        return None
    return distribution.device


class DataParallelSeam:
    def __init__(self, distribution):
        self.distribution = distribution
        self.rank = distribution.process_id
        self.num_processes = distribution.num_processes
        self.share = 1.0 / self.num_processes  # this process's weight in the gradient average
        self.forward_used = False
        self._ddp = None
        self._ddp_params = ()
        # Host-side agreements (stop training?) go over gloo, so they never wait for a GPU.
        self._control = None if dist.get_backend() == "gloo" else dist.new_group(backend="gloo")

    @contextlib.contextmanager
    def active(self):
        """Mark a training step of this seam as running (see `active_seam`)."""
        previous, _active["seam"] = _active["seam"], self
        try:
            yield
        finally:
            _active["seam"] = previous

    def __reduce__(self):
        # Copying or pickling a model must not copy a process group: the copy gets no seam.
        return (type(None), ())

    # ------------------------------------------------------------------ data
    def shard(self, adapter):
        """Make `adapter` read only this process's part (unless the user sharded the data)."""
        if self.distribution.auto_shard_dataset and adapter.shard is None:
            adapter.distribute(self.rank, self.num_processes)

    # ------------------------------------------------------------------ training
    def prepare_training(self, model):
        """Wrap the model in DistributedDataParallel (again when its trainable set changed).
        Wrapping broadcasts process 0's weights and buffers, so all replicas start equal."""
        params = tuple(p for p in model.parameters() if p.requires_grad)
        if len(params) == len(self._ddp_params) and all(
                a is b for a, b in zip(params, self._ddp_params)):
            return
        self._ddp, self._ddp_params = None, params
        if not params:
            return
        from torch.nn.parallel import DistributedDataParallel

        options = {"find_unused_parameters": getattr(self.distribution,
                                                     "find_unused_parameters", False)}
        device = model._device
        if device is not None and device.type == "cuda" and device.index is not None:
            options.update(device_ids=[device.index], output_device=device.index)
        self._ddp = DistributedDataParallel(model, **options)
        self._ddp.register_comm_hook(self, _weighted_all_reduce)

    def train_step(self, model, batch, info):
        """`model.train_step` on this process's part of a global batch, through DDP."""
        from lamina.trainers import data_adapters

        padding = info is not None and info.padding
        count = 0 if padding else _count(batch[0])
        if info is not None and info.total is not None:
            self.share = count / info.total
        else:  # the step's size is not known in advance: add up the processes' counts
            self.share = count / collectives.all_reduce_count(count)
        saved = _metric_state(model) if padding else None
        data = data_adapters.pack_x_y_sample_weight(*batch)
        if self._ddp is None:
            with self.active():
                logs = model.train_step(data)
        else:
            self.forward_used = False
            model.__dict__["_ddp_forward"] = self._forward
            try:
                with self.active():
                    logs = model.train_step(data)
            except RuntimeError as error:
                if "find_unused_parameters" in str(error):
                    raise RuntimeError(UNUSED_PARAMETERS_MESSAGE) from error
                raise
            finally:
                model.__dict__["_ddp_forward"] = None
            if not self.forward_used:
                raise RuntimeError(NO_FORWARD_MESSAGE)
        if saved is not None:
            _restore_metric_state(model, saved)
        return logs

    def agree_to_stop(self, model):
        """True on every process when a callback on any process set `model.stop_training`
        (then set on all of them), so they all leave the loop at the same step."""
        flag = torch.tensor([1 if model.stop_training else 0], dtype=torch.int32)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX, group=self._control)
        stop = bool(flag.item())
        if stop:
            model.stop_training = True
        return stop

    def _forward(self, *args, **kwargs):
        self.forward_used = True
        return self._ddp(*args, **kwargs)

    def padding_step(self, step, model, batch):
        """Run `step` (test_step / predict_step) on a padding batch, leaving the metrics as
        they were (every process runs the same steps, so any collective a step makes pairs)."""
        from lamina.trainers import data_adapters

        saved = _metric_state(model)
        result = step(data_adapters.pack_x_y_sample_weight(*batch))
        _restore_metric_state(model, saved)
        return result

    # ------------------------------------------------------------------ results
    def reduce_metrics(self, model):
        """Sum every metric's state over the processes (metric states are sums and counts)."""
        variables = [v for metric in model.metrics for v in metric.variables]
        sizes = collectives.all_gather_objects(sum(v.numel() for v in variables))
        if len(set(sizes)) > 1:
            raise RuntimeError(
                f"The processes' metrics hold different numbers of values ({sizes}), so they "
                "cannot be combined: every process must compile the same metrics.")
        if variables:
            collectives.all_reduce_sum_(variables)

    def average_logs(self, logs):
        """Custom step logs (values a train_step returned that are not metric results): their
        mean over the processes."""
        keys = sorted(logs)
        values = [torch.as_tensor(logs[k], dtype=torch.float64).detach().clone() for k in keys]
        collectives.all_reduce_sum_(values)
        return {k: v / self.num_processes for k, v in zip(keys, values)}

    def sync_states(self, model):
        """Process 0's non-trainable variables (moving statistics) and buffers on every process."""
        states = [p for p in model.parameters()
                  if not getattr(p, "trainable", p.requires_grad) and not p.requires_grad]
        states += list(model.buffers())
        if states:
            collectives.broadcast_(states, src=0)

    def keep_rows(self, output, info, counts):
        """Record this process's row count of a predict step; a padding step keeps no rows."""
        if info.padding:
            counts.append(0)
            return tree.map_structure(lambda t: t[:0], output)
        counts.append(_count(output))
        return output

    def gather_predictions(self, outputs, counts):
        """`outputs[s]` (this process's output of step s, `counts[s]` rows) from every process,
        put together step by step and process by process: the original order."""
        all_counts = collectives.all_gather_objects(list(counts))
        if len({len(c) for c in all_counts}) > 1:
            raise RuntimeError(
                "predict(): the processes ran different numbers of steps "
                f"({[len(c) for c in all_counts]}); give every process the same data.")
        first = outputs[0]
        columns = []
        for parts in zip(*map(tree.flatten, outputs)):
            local = torch.cat(parts)
            gathered = collectives.all_gather_rows(local, [sum(c) for c in all_counts])
            pieces, offsets = [], [0] * self.num_processes
            for step in range(len(counts)):
                for rank in range(self.num_processes):
                    count = all_counts[rank][step]
                    if count:
                        pieces.append(gathered[rank][offsets[rank]:offsets[rank] + count])
                        offsets[rank] += count
            columns.append(torch.cat(pieces))
        return tree.pack_sequence_as(first, columns)


def _weighted_all_reduce(seam, bucket):
    """DDP communication hook: each process's gradients times its share of the step's samples,
    summed over processes (the default hook divides by the number of processes instead)."""
    buffer = bucket.buffer()
    buffer.mul_(seam.share)
    future = dist.all_reduce(buffer, async_op=True).get_future()
    return future.then(lambda done: done.value()[0])


def _count(x):
    leaves = tree.flatten(x)
    return int(leaves[0].shape[0]) if leaves else 0


def _metric_state(model):
    return {id(v): v.detach().clone() for metric in model.metrics for v in metric.variables}


def _restore_metric_state(model, saved):
    with torch.no_grad():
        for metric in model.metrics:
            for variable in metric.variables:
                value = saved.get(id(variable))
                if value is None:  # created by this step (a metric built on its first batch)
                    variable.zero_()
                else:
                    variable.copy_(value)
